import AsyncUring
import Glibc
import Synchronization
import SystemPackage

/// A connected TCP (or Unix stream) socket, bound to one `Ring` (from AsyncUring).
///
/// Every operation is one io_uring request submitted from the connection's ring thread.
/// Call it from a task that prefers that ring as its executor
/// (`withTaskExecutorPreference(connection.ring)`; ``TCPServer`` does this for its handlers)
/// and each `await` resumes on the ring thread with no thread hop; from elsewhere each call
/// first hops to the ring.
///
/// One receive and one send may be in flight at a time (they may overlap each other); a
/// second concurrent receive, or send, throws ``SocketError`` with `EALREADY`.
///
/// Cancellation: a cancelled receive stops waiting and throws `CancellationError`; bytes
/// that arrive later stay queued for the next receive, so none is lost. For other
/// requests, cancelling the task submits `IORING_OP_ASYNC_CANCEL` and the call returns only
/// after the kernel's final completion: if the request completed anyway, its result is
/// returned (a connected socket is handed over); otherwise the call throws
/// `CancellationError`. An awaited send cancelled between partial sends throws
/// `CancellationError` after sending part of the bytes.
public final class TCPConnection: @unchecked Sendable {
    /// The ring whose thread runs this connection's operations.
    public let ring: Ring
    /// Closed by the ring once no request on it is left.
    let descriptor: SocketDescriptor
    package var fd: Int32 { descriptor.fd }

    // Guarded by: ring thread (unchecked exclusivity, as in the runtime's ring-thread state).
    @exclusivity(unchecked) var lifecycle = ConnectionStateMachine()
    /// A ``close()`` waiting for the calls in flight to end.
    @exclusivity(unchecked) var closeWaiter: CheckedContinuation<Void, Never>?
    /// The timeout of receives called without one (``TCPServer``'s idle timeout).
    @exclusivity(unchecked) package var defaultReceiveTimeout: Duration?
    /// The task running ``withCancellationScope(_:)``, compared by identity only.
    @exclusivity(unchecked) var scopeTask: UnsafeCurrentTask?
    // The per-operation state objects, reused by every call.
    let sendOperation = OperationState()
    let controlOperation = OperationState()
    /// The multishot receive all receives read from.
    let receiver: MultishotReceive
    /// Write-behind sends (see ``send(_:timeout:)-([UInt8],_)``).
    let backgroundSend: BackgroundSend

    /// Read by option calls from any thread.
    let isClosedFlag = Atomic<Bool>(false)

    init(descriptor fd: Int32, ring: Ring) {
        let descriptor = SocketDescriptor(fd, ring: ring)
        self.descriptor = descriptor
        self.ring = ring
        self.receiver = MultishotReceive(ring: ring, descriptor: descriptor)
        self.backgroundSend = BackgroundSend(ring: ring, descriptor: descriptor)
        backgroundSend.onFailure = { [weak self] result in self?.sendFailed(result) }
    }

    deinit {
        // No call is in flight (calls retain the connection), but the multishot receive may
        // be armed and accepted bytes may still be on their way out: the ring lets those go
        // (within the flush limit), cancels the receive, and closes the descriptor once the
        // kernel is done with both.
        guard lifecycle.state == .open else { return }
        let (ring, receiver, backgroundSend, descriptor) = (ring, receiver, backgroundSend, descriptor)
        ring.execute {
            // After the ring ended this runs on the releasing thread: stopping the ring ended
            // every request, so the descriptor closes at once.
            if ring.isCurrentThread {
                receiver.close()
                backgroundSend.finish(within: Self.closeFlushLimit)
            }
            descriptor.closeWhenIdle()
        }
    }

    /// A send failed: when the failure ends the connection, the receive side ends with it.
    func sendFailed(_ error: Errno) {
        if lifecycle.sendFailed(error) { receiver.connectionFailed(error) }
    }

    /// Connects to `address`.
    ///
    /// The corresponding io_uring operation is `IORING_OP_CONNECT`, linked to an
    /// `IORING_OP_LINK_TIMEOUT` when `timeout` is given. `TCP_NODELAY` is set on the new
    /// connection (except for Unix domain sockets).
    ///
    /// - Parameters:
    ///   - address: where to connect.
    ///   - timeout: how long to wait; throws `ETIMEDOUT` after it.
    ///   - ring: the ring for the connection; by default the caller's ring when called on a
    ///     ring thread, else the next ring of `RingGroup.shared`.
    /// - Throws: ``SocketError`` (e.g. `ECONNREFUSED`, `ETIMEDOUT`), `CancellationError`.
    public static func connect(
        to address: SocketAddress,
        timeout: Duration? = nil,
        ring: Ring? = nil
    ) async throws -> TCPConnection {
        let ring = try ring ?? RingGroup.shared.current ?? RingGroup.shared.next()
        let fd: Int32
        do {
            fd = try SocketSyscalls.makeSocket(family: address.raw.family)
        } catch {
            throw SocketError(.socket, error)
        }
        let connection = TCPConnection(descriptor: fd, ring: ring)
        try await ring.run { () async throws -> Void in
            try await connection.perform(.connect) { () async throws -> Void in
                let result = try await ring.connect(fd, to: address.raw, connection.controlOperation, timeout: timeout)
                if case .failure(let error) = result { throw SocketError(.connect, error) }
                ring.noteConnection(connected: true)
            }
        }
        if address.family != .unix { try? connection.setOption(.noDelay(true)) }
        return connection
    }

    // MARK: Receive

    /// Receives up to `buffer.count` bytes into `buffer`, from its start, without allocating.
    ///
    /// The corresponding io_uring operation is a multishot `IORING_OP_RECV`
    /// (`IORING_RECV_MULTISHOT`) with buffers from the ring's provided buffer ring: it stays
    /// armed, received buffers queue in the connection and are copied into `buffer`. A call
    /// that finds data queued returns without suspending; one that is cancelled or times out
    /// loses nothing (what arrives stays queued for the next call).
    ///
    /// - Parameters:
    ///   - buffer: where the bytes go; its count is the most that is received.
    ///   - timeout: throws `ETIMEDOUT` when nothing arrives within it.
    /// - Returns: the number of bytes received (at least 1), or nil at end of stream.
    /// - Throws: ``SocketError`` (`ECONNRESET`, `ETIMEDOUT`, `EINVAL` for an empty buffer,
    ///   `EALREADY` while another receive is in flight, `EBADF` once closed),
    ///   `CancellationError`.
    public func receive(into buffer: inout [UInt8], timeout: Duration? = nil) async throws -> Int? {
        guard !buffer.isEmpty else { throw SocketError(.receive, .invalidArgument, detail: "empty buffer") }
        guard ring.runsHere(#isolation) else {
            return try await ring.run { try await self.receive(into: &buffer, timeout: timeout) }
        }
        try lifecycle.begin(.receive)
        defer { end(.receive) }
        let scoped = isInCancellationScope
        let count = try await receiver.receive(into: &buffer, timeout: timeout ?? defaultReceiveTimeout, scoped: scoped)
            .mapError { SocketError(.receive, $0) }.get()
        return count == 0 ? nil : count
    }

    /// Receives up to `maxBytes` bytes.
    ///
    /// The corresponding io_uring operation is a multishot `IORING_OP_RECV`, as for
    /// ``receive(into:timeout:)``.
    ///
    /// - Returns: the bytes received (at least one), or nil at end of stream.
    /// - Throws: as ``receive(into:timeout:)``; `EINVAL` when `maxBytes` is not positive.
    public func receive(maxBytes: Int = 65536, timeout: Duration? = nil) async throws -> [UInt8]? {
        guard maxBytes > 0 else { throw SocketError(.receive, .invalidArgument, detail: "maxBytes \(maxBytes)") }
        guard ring.runsHere(#isolation) else {
            return try await ring.run { try await self.receive(maxBytes: maxBytes, timeout: timeout) }
        }
        try lifecycle.begin(.receive)
        defer { end(.receive) }
        let scoped = isInCancellationScope
        let bytes = try await receiver.receive(
            maxBytes: maxBytes,
            timeout: timeout ?? defaultReceiveTimeout,
            scoped: scoped
        )
        .mapError { SocketError(.receive, $0) }.get()
        return bytes.isEmpty ? nil : bytes
    }

    /// Receives the bytes that arrived next, in the buffer the kernel put them in, without
    /// copying them.
    ///
    /// The bytes are those of one arrival (at most `RingConfiguration.receiveBufferSize`),
    /// or what ``receive(into:timeout:)`` left of it. Pass them to ``send(_:timeout:)-(ReceivedBytes,_)``
    /// to forward them without a copy either (an echo or a proxy), or read them with
    /// `ReceivedBytes.withUnsafeBytes(_:)`. The buffer goes back to the ring when the value
    /// ends, so hold it only briefly: the ring's connections share its buffers.
    ///
    /// The corresponding io_uring operation is the multishot `IORING_OP_RECV` of
    /// ``receive(into:timeout:)``, with the same rules for queued data, timeouts and
    /// cancellation.
    ///
    /// - Parameter timeout: throws `ETIMEDOUT` when nothing arrives within it.
    /// - Returns: the bytes (at least one), or nil at end of stream.
    /// - Throws: as ``receive(into:timeout:)``.
    public func receiveBytes(timeout: Duration? = nil) async throws -> ReceivedBytes? {
        guard ring.runsHere(#isolation) else {
            // Noncopyable results cannot cross `withTaskExecutorPreference`: carry it in a box.
            let box = ReceivedBox()
            try await ring.run { box.bytes = try await self.receiveBytes(timeout: timeout) }
            return box.bytes.take()
        }
        try lifecycle.begin(.receive)
        defer { end(.receive) }
        let scoped = isInCancellationScope
        let received = try await receiver.receiveBytes(timeout: timeout ?? defaultReceiveTimeout, scoped: scoped)
        switch consume received {
        case .bytes(let bytes): return bytes
        case .endOfStream: return nil
        case .failed(let error): throw SocketError(.receive, error)
        }
    }

    // MARK: Send

    /// Sends every byte of `bytes`, looping over short sends.
    ///
    /// The corresponding io_uring operation is `IORING_OP_SEND` with `MSG_NOSIGNAL` (a
    /// reset peer gives `EPIPE`/`ECONNRESET`, never `SIGPIPE`).
    ///
    /// Write-behind, like write(2): without a timeout, up to 64 KiB are copied into the
    /// connection's own buffer and the call returns once the request is queued; the ring
    /// finishes it (short sends included). The next `send`, `shutdown(.write)` or `close()`
    /// first waits for it, so at most one send is outstanding (backpressure), bytes keep
    /// their order, and a failure of that send is thrown by that next call. Larger sends,
    /// and sends with a timeout, return after their last completion; their array is retained,
    /// not copied.
    ///
    /// - Parameters:
    ///   - bytes: the bytes to send.
    ///   - timeout: applies to each send request; throws `ETIMEDOUT` after it.
    /// - Throws: ``SocketError`` (`EPIPE`, `ECONNRESET`, `ETIMEDOUT`, `EALREADY` while another
    ///   send is in flight, `EBADF` once closed), `CancellationError`.
    public func send(_ bytes: [UInt8], timeout: Duration? = nil) async throws {
        try await send(bytes[...], timeout: timeout)
    }

    /// Sends every byte of `bytes`; see ``send(_:timeout:)-([UInt8],_)``.
    public func send(_ bytes: ArraySlice<UInt8>, timeout: Duration? = nil) async throws {
        guard ring.runsHere(#isolation) else {
            return try await ring.run { try await self.send(bytes, timeout: timeout) }
        }
        try lifecycle.begin(.send)
        defer { end(.send) }
        try await finishBackgroundSend()
        if timeout == nil && bytes.count <= BackgroundSend.stagingLimit {
            return backgroundSend.start(bytes)
        }
        if case .failure(let error) = try await ring.send(fd, sendOperation, bytes, timeout: timeout) {
            // Not for our own cancellation or timeout: the connection may be fine.
            if error != .canceled && !(timeout != nil && error == .timedOut) { sendFailed(error) }
            throw SocketError(.send, error)
        }
    }

    /// Sends `bytes` from the buffer they were received in, without copying them; the buffer
    /// goes back to its ring once sent. See ``receiveBytes(timeout:)``.
    ///
    /// Write-behind like ``send(_:timeout:)-([UInt8],_)``: without a timeout the call returns
    /// once the request is queued. With a timeout the bytes are copied and sent as an array.
    ///
    /// - Throws: as ``send(_:timeout:)-([UInt8],_)``.
    public func send(_ bytes: consuming ReceivedBytes, timeout: Duration? = nil) async throws {
        if let timeout { return try await send(Array(bytes), timeout: timeout) }
        guard ring.runsHere(#isolation) else {
            let box = ReceivedBox()
            box.bytes = consume bytes
            return try await ring.run { try await self.send(box.bytes.take()!) }
        }
        try lifecycle.begin(.send)
        defer { end(.send) }
        try await finishBackgroundSend()
        backgroundSend.start(bytes)
    }

    /// Waits for the write-behind send, if any, and throws its failure; throws `EBADF` when
    /// the connection began closing meanwhile.
    func finishBackgroundSend() async throws {
        guard backgroundSend.needsWait else { return }
        let failure = try await backgroundSend.waitUntilIdle(scoped: isInCancellationScope)
        guard lifecycle.state == .open else {
            throw SocketError(.send, .badFileDescriptor, detail: "connection closed")
        }
        if let failure { throw SocketError(.send, failure) }
    }

    /// Sends the UTF-8 bytes of `text`.
    public func send(_ text: String, timeout: Duration? = nil) async throws {
        try await send(Array(text.utf8), timeout: timeout)
    }
}

/// Carries a `ReceivedBytes` to or from the ring thread.
private final class ReceivedBox: @unchecked Sendable {
    var bytes: ReceivedBytes?
}
