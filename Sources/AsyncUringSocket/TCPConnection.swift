import AsyncUring
import Glibc
import Synchronization
import SystemPackage

/// A connected TCP (or Unix stream) socket, bound to one `Ring` (from AsyncUring).
///
/// Unix domain stream sockets are this type too, with the same calls: connect with
/// ``connect(unixPath:timeout:ring:)`` or to `"unix:@name"`, and pass descriptors with
/// ``send(_:passing:timeout:)`` and ``receive(maxBytes:maxDescriptors:timeout:)``.
///
/// Every operation is one io_uring request submitted from the connection's ring thread.
/// Call it from a task that prefers that ring as its executor
/// (`withTaskExecutorPreference(connection.ring)`; ``TCPServer`` does this for its handlers)
/// and each `await` resumes on the ring thread with no thread hop; from elsewhere each call
/// first hops to the ring.
///
/// Sends from any number of tasks queue in order; one receive may be in flight at a time (a
/// second concurrent receive throws ``SocketError`` with `EALREADY`).
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
    /// For sends called without a timeout: the longest wait for room in a full send queue
    /// (then `ETIMEDOUT`, nothing of that send queued), so a peer that stops reading cannot
    /// hold a sender forever. A send that finds room returns at once, as always.
    @exclusivity(unchecked) package var sendRoomTimeout: Duration?
    /// The task running ``withCancellationScope(_:)``, compared by identity only.
    @exclusivity(unchecked) var scopeTask: UnsafeCurrentTask?
    /// The per-operation state object of connect, shutdown and close.
    let controlOperation = OperationState()
    /// The state objects of messages with descriptors in flight, which ``close()`` cancels.
    @exclusivity(unchecked) var messageOperations: [OperationState] = []
    /// The multishot receive all receives read from.
    let receiver: MultishotReceive
    /// The bytes accepted for sending (see ``send(_:timeout:)-([UInt8],_)``).
    let sendQueue: SendQueue

    /// Read by option calls from any thread.
    let isClosedFlag = Atomic<Bool>(false)
    /// `SocketOption.resetOnClose` was set: closing drops the queued bytes instead of
    /// sending them first.
    let resetsOnClose = Atomic<Bool>(false)

    init(descriptor fd: Int32, ring: Ring) {
        let descriptor = SocketDescriptor(fd, ring: ring)
        self.descriptor = descriptor
        self.ring = ring
        self.receiver = MultishotReceive(ring: ring, descriptor: descriptor)
        self.sendQueue = SendQueue(ring: ring, descriptor: descriptor)
        sendQueue.onFailure = { [weak self] result in self?.sendFailed(result) }
    }

    deinit {
        // No call is in flight (calls retain the connection), but the multishot receive may
        // be armed and accepted bytes may still be on their way out: the ring lets those go
        // (within the flush limit), cancels the receive, and closes the descriptor once the
        // kernel is done with both.
        guard lifecycle.state == .open else { return }
        let (ring, receiver, sendQueue, descriptor) = (ring, receiver, sendQueue, descriptor)
        let resets = resetsOnClose.load(ordering: .relaxed)
        ring.execute {
            // After the ring ended this runs on the releasing thread: stopping the ring ended
            // every request, so the descriptor closes at once.
            if ring.isCurrentThread {
                receiver.close()
                sendQueue.close(flushingWithin: resets ? nil : Self.closeFlushLimit)
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
            .mapError(receiveError).get()
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
        .mapError(receiveError).get()
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
        case .failed(let error): throw receiveError(error)
        }
    }

    /// The error a receive throws for what the multishot receive reported: `ECANCELED`
    /// means the request was cancelled under the receive, by a ``close()`` or the read
    /// half's ``TCPReadHalf/close()`` (throws `EBADF`, as every call on a closed connection
    /// does) or by the ring stopping (throws
    /// `CancellationError`, as every call on a stopped ring does).
    private func receiveError(_ error: Errno) -> any Error {
        guard error == .canceled else { return SocketError(.receive, error) }
        // The read half's close() cancels the request as the connection's close does.
        if lifecycle.isReleased(.read) {
            return SocketError(.receive, .badFileDescriptor, detail: "read half closed")
        }
        if lifecycle.state != .open { return SocketError(.receive, .badFileDescriptor, detail: "connection closed") }
        if ring.isStopping { return CancellationError() }
        return SocketError(.receive, error)
    }

    // MARK: Send

    /// Sends every byte of `bytes`, in order after the bytes sent before, from any task.
    ///
    /// The corresponding io_uring operation is `IORING_OP_SEND` with `MSG_NOSIGNAL` (a
    /// reset peer gives `EPIPE`/`ECONNRESET`, never `SIGPIPE`), or one `IORING_OP_SENDMSG`
    /// over the bytes of several sends.
    ///
    /// Write-behind, like write(2): the bytes join the connection's send queue (the array is
    /// retained, not copied) and the call returns; the ring sends them, short sends included.
    /// Sends from several tasks queue in order, each one's bytes whole. The queue is bounded
    /// (``sendQueueLimit``): while it is full, a send waits for room, which is the
    /// backpressure. The queue's request is submitted when the ring next enters the kernel,
    /// so what the tasks send meanwhile (the replies to one pipelined read) goes in one
    /// request. Call ``flush(timeout:)`` to wait until the kernel took the bytes.
    ///
    /// A failed send fails the queue: its bytes are lost, and that send's error is thrown by
    /// every later call that sends or flushes.
    ///
    /// - Parameters:
    ///   - bytes: the bytes to send.
    ///   - timeout: makes the call wait until the kernel took the bytes, for at most this
    ///     long in all: throws `ETIMEDOUT` after it. A timeout while the bytes waited for room
    ///     leaves the queue as it was (none of them was sent); one after they were queued
    ///     fails the queue, since an unknown part of them was sent.
    /// - Throws: ``SocketError`` (`EPIPE`, `ECONNRESET`, `ETIMEDOUT`, `EPIPE` after
    ///   `shutdown(.write)`, `EBADF` once closed), `CancellationError` when the task is
    ///   cancelled while the send waits (for room: its bytes were not queued; for a timeout:
    ///   they stay queued).
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
        // The common case, room in the queue and no timeout, makes no call that could suspend.
        if timeout == nil, let queued = sendQueue.enqueueWithoutWaiting(bytes) {
            if case .failure(let error) = queued { throw sendError(error) }
            return
        }
        let queued = await sendQueue.enqueue(bytes, timeout: timeout ?? sendRoomTimeout)
        try await finishSend(queued, timeout: timeout)
    }

    /// Sends the bytes of every buffer, in order, as one send: nothing another task sends
    /// comes between them. See ``send(_:timeout:)-([UInt8],_)``.
    ///
    /// The corresponding io_uring operation is `IORING_OP_SENDMSG`, one vector per buffer
    /// (up to 64 per request); no buffer is copied.
    public func send(contentsOf buffers: some Sequence<[UInt8]>, timeout: Duration? = nil) async throws {
        let buffers = buffers.map { $0[...] }
        guard ring.runsHere(#isolation) else {
            return try await ring.run { try await self.sendVectored(buffers, timeout: timeout) }
        }
        try await sendVectored(buffers, timeout: timeout)
    }

    private func sendVectored(_ buffers: [ArraySlice<UInt8>], timeout: Duration?) async throws {
        try lifecycle.begin(.send)
        defer { end(.send) }
        let queued = await sendQueue.enqueue(contentsOf: buffers, timeout: timeout ?? sendRoomTimeout)
        try await finishSend(queued, timeout: timeout)
    }

    /// Sends `bytes` from the buffer they were received in, without copying them; the buffer
    /// goes back to its ring once sent. See ``receiveBytes(timeout:)``.
    ///
    /// Write-behind and queued like ``send(_:timeout:)-([UInt8],_)``. With a timeout the
    /// bytes are copied and sent as an array. The ring's receives share its buffers: a
    /// buffer waiting in a full queue holds one of them.
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
        let count = bytes.count
        let lease = bytes.takeLease()
        // The common case, room in the queue, makes no call that could suspend.
        if let queued = sendQueue.enqueueWithoutWaiting(lease, count: count) {
            if case .failure(let error) = queued { throw sendError(error) }
            return
        }
        try await finishSend(await sendQueue.enqueue(lease, count: count), timeout: nil)
    }

    /// Sends the UTF-8 bytes of `text`.
    public func send(_ text: String, timeout: Duration? = nil) async throws {
        try await send(Array(text.utf8), timeout: timeout)
    }

    /// Waits until the kernel took every byte sent before the call, by any task.
    ///
    /// - Parameter timeout: throws `ETIMEDOUT` after it; that fails the send queue (an
    ///   unknown part of the bytes was sent).
    /// - Throws: the send queue's failure as a ``SocketError`` (see
    ///   ``send(_:timeout:)-([UInt8],_)``), `EBADF` once closed, `CancellationError` (the
    ///   bytes stay queued).
    public func flush(timeout: Duration? = nil) async throws {
        guard ring.runsHere(#isolation) else {
            return try await ring.run { try await self.flush(timeout: timeout) }
        }
        try lifecycle.begin(.send)
        defer { end(.send) }
        try await flushQueue(timeout: timeout)
    }

    /// Waits until the bytes queued so far were sent; throws as ``flush(timeout:)``, with
    /// `operation`.
    func flushQueue(timeout: Duration? = nil, for operation: SocketError.Operation = .send) async throws {
        if let error = await sendQueue.waitUntilSent(sendQueue.endOffset, timeout: timeout) {
            throw sendError(error, operation)
        }
    }

    /// How many bytes may wait in the send queue before sends wait for room.
    public var sendQueueLimit: Int { sendQueue.limit }

    /// Throws what queueing the bytes of a send found; with a timeout, waits until they
    /// were sent.
    private func finishSend(_ queued: Result<UInt64, Errno>, timeout: Duration?) async throws {
        switch queued {
        case .failure(let error): throw sendError(error)
        case .success(let offset):
            guard let timeout else { return }
            if let error = await sendQueue.waitUntilSent(offset, timeout: timeout) { throw sendError(error) }
        }
    }

    /// The error a send, flush or shutdown throws for what the send queue reported.
    private func sendError(_ error: Errno, _ operation: SocketError.Operation = .send) -> any Error {
        switch error {
        // The waiting task was cancelled, or the queue was cancelled by a close.
        case .canceled where lifecycle.state == .open: CancellationError()
        case .canceled, .badFileDescriptor: SocketError(operation, .badFileDescriptor, detail: "connection closed")
        default: SocketError(operation, error)
        }
    }
}

/// Carries a `ReceivedBytes` to or from the ring thread.
private final class ReceivedBox: @unchecked Sendable {
    var bytes: ReceivedBytes?
}
