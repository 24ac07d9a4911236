import AsyncUring
import Synchronization

/// The sending half of a ``TCPConnection``, made by ``TCPConnection/split()``; the task that
/// owns it sends while another task receives with the ``TCPReadHalf``.
///
/// Sends work as the connection's: write-behind, queued in order, bounded by
/// ``sendQueueLimit``. ``finish()`` flushes and shuts writing down (the peer reads end of
/// stream while the read half goes on receiving). The connection is closed once both halves
/// were closed or dropped; dropping this half finishes it as ``finish()`` does.
public final class TCPWriteHalf: Sendable {
    /// The connection the halves share.
    let connection: TCPConnection
    /// ``finish()`` was called (or the half is being released by its deinit): picks the one
    /// caller that releases it.
    private let isReleasedFlag = Atomic<Bool>(false)

    init(_ connection: TCPConnection) {
        self.connection = connection
    }

    deinit {
        guard !isReleasedFlag.load(ordering: .acquiring) else { return }
        let connection = connection
        Task { try? await Self.release(connection) }
    }

    /// The ring whose thread runs the connection's operations.
    public var ring: Ring { connection.ring }

    /// Sends every byte of `bytes`; see ``TCPConnection/send(_:timeout:)-([UInt8],_)``.
    ///
    /// The corresponding io_uring operation is `IORING_OP_SEND` (`IORING_OP_SENDMSG` over
    /// the bytes of several sends).
    ///
    /// - Throws: as ``TCPConnection/send(_:timeout:)-([UInt8],_)``; `EBADF` with detail
    ///   `write half closed` after ``finish()``.
    public func send(_ bytes: [UInt8], timeout: Duration? = nil) async throws {
        try await connection.send(bytes, timeout: timeout)
    }

    /// Sends every byte of `bytes`; see ``send(_:timeout:)-([UInt8],_)``.
    public func send(_ bytes: ArraySlice<UInt8>, timeout: Duration? = nil) async throws {
        try await connection.send(bytes, timeout: timeout)
    }

    /// Sends the bytes of every buffer, in order, as one send; see
    /// ``TCPConnection/send(contentsOf:timeout:)``.
    public func send(contentsOf buffers: some Sequence<[UInt8]>, timeout: Duration? = nil) async throws {
        try await connection.send(contentsOf: buffers, timeout: timeout)
    }

    /// Sends received bytes without copying them; see
    /// ``TCPConnection/send(_:timeout:)-(ReceivedBytes,_)``.
    public func send(_ bytes: consuming ReceivedBytes, timeout: Duration? = nil) async throws {
        try await connection.send(bytes, timeout: timeout)
    }

    /// Sends the UTF-8 bytes of `text`.
    public func send(_ text: String, timeout: Duration? = nil) async throws {
        try await connection.send(text, timeout: timeout)
    }

    /// Waits until the kernel took every byte sent before the call; see
    /// ``TCPConnection/flush(timeout:)``.
    public func flush(timeout: Duration? = nil) async throws {
        try await connection.flush(timeout: timeout)
    }

    /// How many bytes may wait in the send queue before sends wait for room.
    public var sendQueueLimit: Int { connection.sendQueueLimit }

    /// Flushes, then shuts writing down: the peer reads end of stream after the bytes sent
    /// so far, while the read half may go on receiving (a half-close). When the read half
    /// was released too, closes the connection.
    ///
    /// The corresponding io_uring operation is `IORING_OP_SHUTDOWN` with `SHUT_WR` (and
    /// those of ``TCPConnection/close()`` for the last half).
    ///
    /// The half is released even when the flush or the shutdown fails.
    ///
    /// - Throws: ``SocketError``: the send queue's failure, the shutdown's, `EBADF` when this
    ///   half was finished before.
    public func finish() async throws {
        guard isReleasedFlag.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { throw SocketError(.shutdown, .badFileDescriptor, detail: "write half already closed") }
        try await Self.release(connection)
    }

    /// The same as ``finish()``.
    public func close() async throws {
        try await finish()
    }

    /// Whether ``finish()`` was called.
    public var isClosed: Bool { isReleasedFlag.load(ordering: .acquiring) }

    /// The address this end is bound to (`getsockname`).
    public var localAddress: SocketAddress {
        get throws(SocketError) { try connection.localAddress }
    }

    /// The peer's address (`getpeername`).
    public var remoteAddress: SocketAddress {
        get throws(SocketError) { try connection.remoteAddress }
    }

    /// Shuts writing down after the queued bytes, then releases the half, whatever the
    /// shutdown found.
    private static func release(_ connection: TCPConnection) async throws {
        var shutdownError: (any Error)?
        do { try await connection.shutdown(.write) } catch { shutdownError = error }
        try await connection.releaseHalf(.write)
        if let shutdownError { throw shutdownError }
    }
}
