import AsyncUring
import Synchronization

/// The receiving half of a ``TCPConnection``, made by ``TCPConnection/split()``; the task
/// that owns it receives while another task sends with the ``TCPWriteHalf``.
///
/// Receives work as the connection's (one in flight at a time, the same timeouts and
/// cancellation). ``close()`` releases the read side: a receive waiting then ends with
/// `EBADF`, later ones throw `EBADF`; the write half goes on. The connection is closed once
/// both halves were closed or dropped; dropping this half closes it as ``close()`` does.
public final class TCPReadHalf: ByteStreamSource {
    /// The connection the halves share.
    let connection: TCPConnection
    /// ``close()`` was called (or the half is being released by its deinit): picks the one
    /// caller that releases it.
    private let isReleasedFlag = Atomic<Bool>(false)

    init(_ connection: TCPConnection) {
        self.connection = connection
    }

    deinit {
        guard !isReleasedFlag.load(ordering: .acquiring) else { return }
        let connection = connection
        Task { try? await connection.releaseHalf(.read) }
    }

    /// The ring whose thread runs the connection's operations.
    public var ring: Ring { connection.ring }

    /// Receives up to `buffer.count` bytes into `buffer`; see
    /// ``TCPConnection/receive(into:timeout:)``.
    ///
    /// The corresponding io_uring operation is a multishot `IORING_OP_RECV`.
    ///
    /// - Returns: the number of bytes received (at least 1), or nil at end of stream.
    /// - Throws: as ``TCPConnection/receive(into:timeout:)``; `EBADF` with detail
    ///   `read half closed` once ``close()`` was called, also for a receive waiting then.
    public func receive(into buffer: inout [UInt8], timeout: Duration? = nil) async throws -> Int? {
        try await connection.receive(into: &buffer, timeout: timeout)
    }

    /// Receives up to `maxBytes` bytes; see ``TCPConnection/receive(maxBytes:timeout:)``.
    ///
    /// The corresponding io_uring operation is a multishot `IORING_OP_RECV`.
    ///
    /// - Returns: the bytes received (at least one), or nil at end of stream.
    /// - Throws: as ``receive(into:timeout:)``.
    public func receive(maxBytes: Int = 65536, timeout: Duration? = nil) async throws -> [UInt8]? {
        try await connection.receive(maxBytes: maxBytes, timeout: timeout)
    }

    /// Receives the bytes that arrived next, in the buffer the kernel put them in; see
    /// ``TCPConnection/receiveBytes(timeout:)``.
    ///
    /// The corresponding io_uring operation is a multishot `IORING_OP_RECV`.
    ///
    /// - Returns: the bytes (at least one), or nil at end of stream.
    /// - Throws: as ``receive(into:timeout:)``.
    public func receiveBytes(timeout: Duration? = nil) async throws -> ReceivedBytes? {
        try await connection.receiveBytes(timeout: timeout)
    }

    /// Releases the read side, as `shutdown(.read)` would: stops the connection's receive
    /// request, drops the bytes it queued and shuts reading down; a receive waiting on this half ends with ``SocketError`` `EBADF` (detail
    /// `read half closed`). When the write half was released too, closes the connection
    /// (see ``TCPConnection/close()``).
    ///
    /// The corresponding io_uring operation is `IORING_OP_ASYNC_CANCEL` (and those of
    /// ``TCPConnection/close()`` for the last half); reading is shut down with `shutdown(2)`
    /// (`SHUT_RD`), which never blocks.
    ///
    /// - Throws: ``SocketError`` `EBADF` when this half was closed before.
    public func close() async throws {
        guard isReleasedFlag.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { throw SocketError(.close, .badFileDescriptor, detail: "read half already closed") }
        try await connection.releaseHalf(.read)
    }

    /// Whether ``close()`` was called.
    public var isClosed: Bool { isReleasedFlag.load(ordering: .acquiring) }

    /// The address this end is bound to (`getsockname`).
    public var localAddress: SocketAddress {
        get throws(SocketError) { try connection.localAddress }
    }

    /// The peer's address (`getpeername`).
    public var remoteAddress: SocketAddress {
        get throws(SocketError) { try connection.remoteAddress }
    }
}
