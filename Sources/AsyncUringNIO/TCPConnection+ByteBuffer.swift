import AsyncUringSocket
import NIOCore

/// Moving bytes between a `TCPConnection` and SwiftNIO's `ByteBuffer`.
///
/// What is copied, honestly: `TCPConnection`'s public API takes and returns `[UInt8]`,
/// and a `ByteBuffer`'s storage cannot be lent to it, so each call adds one copy to what
/// the array API does:
/// - a send copies the buffer's readable bytes into an array (one `memcpy`), then sends
///   that array as `TCPConnection.send(_:timeout:)` does (which queues it, retained and
///   uncopied, until the kernel has taken its bytes);
/// - a receive gets a new array of exactly the received size from
///   `TCPConnection.receive(maxBytes:timeout:)` (the runtime copies the bytes out of the
///   ring's provided buffer into it) and copies that array into the `ByteBuffer`: two
///   `memcpy`s and one array allocation per call.
///
/// The kernel's own copies (between the socket and the provided or sent buffers) come on
/// top, as for every `IORING_OP_SEND` and `IORING_OP_RECV`.
///
/// NIOCore has a `SocketAddress` type of its own: a file that imports both modules names
/// this package's as `AsyncUringSocket.SocketAddress`.
extension TCPConnection {
    /// Sends every readable byte of `buffer`, looping over short sends; the buffer itself is
    /// not changed (its reader index stays where it is).
    ///
    /// The corresponding io_uring operation is `IORING_OP_SEND` with `MSG_NOSIGNAL`. The
    /// readable bytes are copied once into an array first; see the extension's overview.
    ///
    /// - Parameters:
    ///   - buffer: the bytes to send: its readable bytes.
    ///   - timeout: waits until the kernel took the bytes; throws `ETIMEDOUT` after it.
    /// - Throws: `SocketError` (`EPIPE`, `ECONNRESET`, `ETIMEDOUT`, `EBADF` once closed),
    ///   `CancellationError`.
    public func send(_ buffer: ByteBuffer, timeout: Duration? = nil) async throws {
        guard buffer.readableBytes > 0 else { return }
        let bytes = buffer.withUnsafeReadableBytes { [UInt8]($0) }
        try await send(bytes, timeout: timeout)
    }

    /// Sends the readable bytes of several buffers as one byte stream, gathered into one
    /// array (one copy of each buffer), so they leave in as few send requests as possible.
    ///
    /// The corresponding io_uring operation is `IORING_OP_SEND` with `MSG_NOSIGNAL`.
    ///
    /// - Parameters:
    ///   - buffers: sent in order; none of them is changed.
    ///   - timeout: applies to each send request; throws `ETIMEDOUT` after it.
    /// - Throws: as `send(_:timeout:)`.
    public func send(contentsOf buffers: some Sequence<ByteBuffer>, timeout: Duration? = nil) async throws {
        var bytes: [UInt8] = []
        for buffer in buffers {
            buffer.withUnsafeReadableBytes { bytes.append(contentsOf: $0) }
        }
        guard !bytes.isEmpty else { return }
        try await send(bytes, timeout: timeout)
    }

    /// Receives up to `maxBytes` bytes and appends them to `buffer` (at its writer index).
    ///
    /// The corresponding io_uring operation is a multishot `IORING_OP_RECV` with buffers
    /// from the ring's provided buffer ring, as for `TCPConnection.receive(maxBytes:timeout:)`.
    /// The bytes are copied twice on the way; see the extension's overview.
    ///
    /// - Parameters:
    ///   - buffer: the bytes are written at its writer index, which moves past them.
    ///   - maxBytes: the most bytes this call receives; must be positive.
    ///   - timeout: throws `ETIMEDOUT` when nothing arrives within it.
    /// - Returns: the number of bytes appended (at least 1), or nil at end of stream (the
    ///   buffer is unchanged then).
    /// - Throws: `SocketError` (`ECONNRESET`, `ETIMEDOUT`, `EINVAL` when `maxBytes` is not
    ///   positive, `EALREADY` while another receive is in flight, `EBADF` once closed),
    ///   `CancellationError`.
    @discardableResult
    public func receive(
        into buffer: inout ByteBuffer,
        maxBytes: Int = 65536,
        timeout: Duration? = nil
    ) async throws -> Int? {
        guard let bytes = try await receive(maxBytes: maxBytes, timeout: timeout) else { return nil }
        return buffer.writeBytes(bytes)
    }

    /// Receives up to `maxBytes` bytes into a new `ByteBuffer`.
    ///
    /// The corresponding io_uring operation is a multishot `IORING_OP_RECV` (provided
    /// buffer ring).
    ///
    /// - Parameters:
    ///   - maxBytes: the most bytes this call receives; must be positive.
    ///   - allocator: allocates the returned buffer.
    ///   - timeout: throws `ETIMEDOUT` when nothing arrives within it.
    /// - Returns: a buffer whose readable bytes are the bytes received (at least one), or
    ///   nil at end of stream.
    /// - Throws: as `receive(into:maxBytes:timeout:)`.
    public func receiveBuffer(
        maxBytes: Int = 65536,
        allocator: ByteBufferAllocator = ByteBufferAllocator(),
        timeout: Duration? = nil
    ) async throws -> ByteBuffer? {
        guard let bytes = try await receive(maxBytes: maxBytes, timeout: timeout) else { return nil }
        var buffer = allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        return buffer
    }
}
