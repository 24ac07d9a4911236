internal import CLiburing
import DequeModule
import Glibc
import SystemPackage

/// The bytes one connection has accepted for sending and the kernel has not taken yet, in
/// order: what any number of writers queued, sent by one request at a time.
///
/// A writer's bytes are queued whole (arrays are retained, received buffers held, nothing is
/// copied) and the writer goes on, as write(2) returns once the kernel holds the bytes. While
/// ``limit`` bytes or more are queued, writers wait in line for room: that is the
/// backpressure, and nobody's bytes are refused for timing alone. A request is submitted when
/// the ring next enters the kernel, so what the tasks queued meanwhile (the replies to one
/// pipelined read) goes out together: one `IORING_OP_SEND` for one chunk, one
/// `IORING_OP_SENDMSG` over up to ``maxVectors`` chunks otherwise. Short sends continue with
/// the rest, and whatever was queued since.
///
/// A failure is kept: the stream lost bytes, so every later writer gets it too.
///
/// Guarded by: ring thread.
/// Its ring-thread state is `@exclusivity(unchecked)`: only the ring thread touches it, never
/// through overlapping accesses, and the dynamic checks cost about 2% of an echo round trip.
package final class SendQueue: CompletionTarget, @unchecked Sendable {
    /// Bytes queued before writers wait for room, by default.
    package static let defaultLimit = 256 * 1024
    /// The most chunks one `IORING_OP_SENDMSG` carries.
    package static let maxVectors = 64

    private let ring: Ring
    private let descriptor: SocketDescriptor
    /// Writers wait while this many bytes or more are queued.
    package let limit: Int

    private enum Storage {
        case bytes(ArraySlice<UInt8>)
        case lease(BufferLease)
    }

    /// Bytes of one writer, held until the kernel took them.
    private struct Chunk {
        let storage: Storage
        // SAFETY: points into `storage`, which keeps the bytes alive and unchanged: an array
        // slice is retained and never mutated through this reference, a lent buffer is not
        // written by the kernel before its release.
        let base: UnsafeRawPointer
        let count: Int

        init(_ bytes: ArraySlice<UInt8>) {
            storage = .bytes(bytes)
            base = bytes.withUnsafeBytes { $0.baseAddress! }
            count = bytes.count
        }

        init(_ lease: BufferLease, count: Int) {
            storage = .lease(lease)
            base = lease.baseAddress
            self.count = count
        }

        func release() {
            if case .lease(let lease) = storage { lease.release() }
        }
    }

    /// Writers waiting for room, in order.
    private struct Admission {
        let id: UInt64
        let chunks: [Chunk]
        let count: Int
        let continuation: CheckedContinuation<Result<UInt64, Errno>, Never>
    }

    /// A task waiting until the bytes before `offset` were sent.
    private struct Drain {
        let id: UInt64
        let offset: UInt64
        let continuation: CheckedContinuation<Errno?, Never>
    }

    private enum Phase {
        case idle
        /// Bytes are queued; the ring submits the request before it next enters the kernel.
        case scheduled
        /// A request is in the kernel.
        case submitted
    }

    @exclusivity(unchecked) private var phase = Phase.idle
    @exclusivity(unchecked) private var chunks = Deque<Chunk>()
    /// Bytes of the first chunk already sent.
    @exclusivity(unchecked) private var headOffset = 0
    /// Bytes queued and not sent yet.
    @exclusivity(unchecked) private(set) var queuedBytes = 0
    /// Bytes ever queued, and ever sent: a writer's offset in the stream.
    @exclusivity(unchecked) private var queuedTotal: UInt64 = 0
    @exclusivity(unchecked) private var sentTotal: UInt64 = 0
    @exclusivity(unchecked) private var admissions = Deque<Admission>()
    @exclusivity(unchecked) private var drains: [Drain] = []
    @exclusivity(unchecked) private var nextWaitID: UInt64 = 0
    /// The failure that ended the queue; every later writer gets it.
    @exclusivity(unchecked) private var failure: Errno?
    /// The connection is closing: no new bytes are taken.
    @exclusivity(unchecked) private var isClosing = false
    /// The request in flight is being cancelled, and no other is submitted.
    @exclusivity(unchecked) private var isCancelled = false
    /// Bounds ``close(flushingWithin:)``.
    @exclusivity(unchecked) private var flushTimer: WaitTimer?
    /// Cancels the request in flight again if it has not ended; see ``armCancelRetry()``.
    @exclusivity(unchecked) private var cancelRetry: WaitTimer?
    // SAFETY: owned here, allocated on the first vectored send, freed in deinit; the ring's
    // retained reference keeps this object alive until the final completion.
    @exclusivity(unchecked) private var vectors: UnsafeMutablePointer<iovec>?
    @exclusivity(unchecked) private var message: UnsafeMutablePointer<msghdr>?
    /// Told of a failure that is not a cancellation (the connection decides whether it
    /// ended the connection); may run while completions are reaped.
    @exclusivity(unchecked) package var onFailure: ((Errno) -> Void)?

    package init(ring: Ring, descriptor: SocketDescriptor, limit: Int = SendQueue.defaultLimit) {
        self.ring = ring
        self.descriptor = descriptor
        self.limit = max(limit, 1)
    }

    deinit {
        for chunk in chunks { chunk.release() }
        vectors?.deallocate()
        message?.deallocate()
    }

    /// The offset in the stream just past every byte queued or waiting for room: what a
    /// flush called now waits for.
    package var endOffset: UInt64 {
        admissions.reduce(queuedTotal) { $0 + UInt64($1.count) }
    }

    // MARK: Writers

    /// Queues `bytes`, after waiting for room when the queue is full or other writers wait.
    /// - Returns: the offset just past these bytes (see ``waitUntilSent(_:timeout:)``), or
    ///   the queue's failure, `EBADF` when the connection is closing, `ECANCELED` when the
    ///   task was cancelled while waiting for room, `ETIMEDOUT` after `timeout` without room
    ///   (the bytes were not queued then).
    package func enqueue(_ bytes: ArraySlice<UInt8>, timeout: Duration? = nil) async -> Result<UInt64, Errno> {
        if let queued = enqueueWithoutWaiting(bytes) { return queued }
        return await waitForRoom([Chunk(bytes)], count: bytes.count, timeout: timeout)
    }

    /// Queues `bytes` at once when that needs no wait for room, as ``enqueue(_:timeout:)``
    /// does; nil when the writer must wait (call ``enqueue(_:timeout:)``). Not being async,
    /// a send that finds room costs no call frame of a suspending function.
    package func enqueueWithoutWaiting(_ bytes: ArraySlice<UInt8>) -> Result<UInt64, Errno>? {
        if let refusal { return .failure(refusal) }
        guard !bytes.isEmpty else { return .success(queuedTotal) }
        guard hasRoom else { return nil }
        append(Chunk(bytes))
        return .success(queuedTotal)
    }

    /// Queues the bytes of a lent receive buffer, released once sent (or on failure).
    package func enqueue(_ lease: BufferLease, count: Int) async -> Result<UInt64, Errno> {
        if let queued = enqueueWithoutWaiting(lease, count: count) { return queued }
        return await waitForRoom([Chunk(lease, count: count)], count: count, timeout: nil)
    }

    /// Queues a lent receive buffer at once when that needs no wait for room; nil when the
    /// writer must wait (the lease is still the caller's: call ``enqueue(_:count:)``).
    package func enqueueWithoutWaiting(_ lease: BufferLease, count: Int) -> Result<UInt64, Errno>? {
        if let refusal {
            lease.release()
            return .failure(refusal)
        }
        guard hasRoom else { return nil }
        append(Chunk(lease, count: count))
        return .success(queuedTotal)
    }

    /// Queues several buffers as one writer: nothing of another writer comes between them.
    package func enqueue(
        contentsOf buffers: [ArraySlice<UInt8>],
        timeout: Duration? = nil
    ) async -> Result<
        UInt64, Errno
    > {
        if let refusal { return .failure(refusal) }
        let chunks = buffers.lazy.filter { !$0.isEmpty }.map(Chunk.init)
        let count = chunks.reduce(0) { $0 + $1.count }
        guard count > 0 else { return .success(queuedTotal) }
        if hasRoom {
            for chunk in chunks { append(chunk) }
            return .success(queuedTotal)
        }
        return await waitForRoom(Array(chunks), count: count, timeout: timeout)
    }

    /// Waits until every byte before `offset` was sent.
    /// - Returns: nil, or the queue's failure (`ETIMEDOUT` after `timeout`: the bytes in
    ///   flight are abandoned and the queue fails), `ECANCELED` when the task was cancelled
    ///   (the bytes stay queued).
    package func waitUntilSent(_ offset: UInt64, timeout: Duration? = nil) async -> Errno? {
        precondition(ring.isCurrentThread)
        if sentTotal >= offset { return nil }
        if let failure { return failure }
        let id = nextWaitID
        nextWaitID &+= 1
        let timer = timeout.map { timeout in
            WaitTimer(ring: ring, duration: timeout) { [self] in
                if drains.contains(where: { $0.id == id }) { abort(.timedOut) }
            }
        }
        defer { timer?.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { drains.append(Drain(id: id, offset: offset, continuation: $0)) }
        } onCancel: {
            ring.execute { [self] in
                guard let index = drains.firstIndex(where: { $0.id == id }) else { return }
                drains.remove(at: index).continuation.resume(returning: .canceled)
            }
        }
    }

    private var refusal: Errno? {
        precondition(ring.isCurrentThread)
        return failure ?? (isClosing ? .badFileDescriptor : nil)
    }

    private var hasRoom: Bool { admissions.isEmpty && queuedBytes < limit }

    private func waitForRoom(_ chunks: [Chunk], count: Int, timeout: Duration?) async -> Result<UInt64, Errno> {
        let id = nextWaitID
        nextWaitID &+= 1
        let timer = timeout.map { timeout in
            WaitTimer(ring: ring, duration: timeout) { [self] in withdraw(id, .timedOut) }
        }
        defer { timer?.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation {
                admissions.append(Admission(id: id, chunks: chunks, count: count, continuation: $0))
            }
        } onCancel: {
            ring.execute { [self] in withdraw(id, .canceled) }
        }
    }

    /// Ends a writer's wait for room, if it still waits: its bytes are not queued.
    private func withdraw(_ id: UInt64, _ error: Errno) {
        guard let index = admissions.firstIndex(where: { $0.id == id }) else { return }
        let admission = admissions.remove(at: index)
        for chunk in admission.chunks { chunk.release() }
        admission.continuation.resume(returning: .failure(error))
        // The writers behind it may fit now.
        admitWaitingWriters()
    }

    private func append(_ chunk: Chunk) {
        chunks.append(chunk)
        queuedBytes += chunk.count
        queuedTotal += UInt64(chunk.count)
        if phase == .idle {
            phase = .scheduled
            descriptor.requestStarted()
            ring.scheduleSubmission(of: self)
        }
    }

    private func admitWaitingWriters() {
        while queuedBytes < limit, let admission = admissions.popFirst() {
            for chunk in admission.chunks { append(chunk) }
            admission.continuation.resume(returning: .success(queuedTotal))
        }
    }

    // MARK: Requests

    /// Submits the request for the queued bytes; the ring calls it before entering the
    /// kernel, once per ``Ring/scheduleSubmission(of:)``.
    func submitScheduled() {
        guard phase == .scheduled else { return }
        guard !isCancelled else { return fail(.canceled) }
        phase = .submitted
        let sqe = ring.nextSubmission()
        let head = chunks[0]
        if chunks.count == 1 {
            io_uring_prep_send(sqe, descriptor.fd, head.base + headOffset, head.count - headOffset, Int32(MSG_NOSIGNAL))
        } else {
            io_uring_prep_sendmsg(sqe, descriptor.fd, prepareMessage(), UInt32(MSG_NOSIGNAL))
        }
        ring.track(sqe, self)
    }

    /// Points the message's vectors at the first chunks.
    private func prepareMessage() -> UnsafeMutablePointer<msghdr> {
        if vectors == nil {
            vectors = .allocate(capacity: Self.maxVectors)
            message = .allocate(capacity: 1)
            message!.initialize(to: msghdr())
        }
        let count = min(chunks.count, Self.maxVectors)
        for index in 0..<count {
            let chunk = chunks[index]
            let skip = index == 0 ? headOffset : 0
            vectors![index] = iovec(
                iov_base: UnsafeMutableRawPointer(mutating: chunk.base + skip),
                iov_len: chunk.count - skip
            )
        }
        message!.pointee.msg_iov = vectors
        message!.pointee.msg_iovlen = count
        return message!
    }

    override func complete(result: Int32, flags: UInt32, isFinal: Bool) {
        // A send cancelled while it was running may end with EINTR.
        let result = result == -EINTR && isCancelled ? -ECANCELED : result
        guard result > 0 else { return fail(result == 0 ? .brokenPipe : Errno(rawValue: -result)) }
        ring.counters.bytesSent &+= Int(result)
        consume(Int(result))
        finishDrains()
        admitWaitingWriters()
        if chunks.isEmpty { return becomeIdle() }
        if isCancelled { return fail(.canceled) }
        // The rest, and whatever was queued meanwhile, goes when the ring next submits.
        phase = .scheduled
        ring.scheduleSubmission(of: self)
    }

    /// Drops the first `count` queued bytes, which were sent.
    private func consume(_ count: Int) {
        sentTotal += UInt64(count)
        queuedBytes -= count
        var left = count
        while left > 0 {
            let remaining = chunks[0].count - headOffset
            guard left >= remaining else {
                headOffset += left
                return
            }
            left -= remaining
            headOffset = 0
            chunks.removeFirst().release()
        }
    }

    private func finishDrains() {
        guard !drains.isEmpty else { return }
        drains.removeAll { drain in
            guard drain.offset <= sentTotal else { return false }
            drain.continuation.resume(returning: nil)
            return true
        }
    }

    /// The queue failed: its bytes are dropped, and every waiting or later writer gets
    /// `error` (the first failure, when there was one before).
    private func fail(_ error: Errno) {
        if failure == nil {
            failure = error
            if error != .canceled { onFailure?(error) }
        }
        let failure = failure!
        for chunk in chunks { chunk.release() }
        chunks.removeAll()
        queuedBytes = 0
        headOffset = 0
        for drain in drains { drain.continuation.resume(returning: failure) }
        drains.removeAll()
        while let admission = admissions.popFirst() {
            for chunk in admission.chunks { chunk.release() }
            admission.continuation.resume(returning: .failure(failure))
        }
        becomeIdle()
    }

    private func becomeIdle() {
        guard phase != .idle else { return }
        phase = .idle
        flushTimer?.cancel()
        flushTimer = nil
        cancelRetry?.cancel()
        cancelRetry = nil
        descriptor.requestEnded()
    }

    /// Gives up the bytes in flight with `error`, which every later writer gets too (a
    /// timed-out flush leaves the stream with an unknown number of bytes sent).
    /// The receive side is left alone: the connection itself may be fine.
    private func abort(_ error: Errno) {
        if failure == nil { failure = error }
        cancel()
    }

    // MARK: Closing

    /// Cancels the request in flight, if any, drops the queued bytes and refuses new ones
    /// (with `EBADF`): the connection is closing.
    package func cancel() {
        precondition(ring.isCurrentThread)
        isClosing = true
        isCancelled = true
        switch phase {
        case .submitted:
            ring.submitCancel(of: self)
            armCancelRetry()
        case .scheduled, .idle: fail(.canceled)
        }
    }

    /// Cancels the request in flight again every ``cancelRetryInterval`` until it ends.
    /// The kernel may answer `IORING_OP_ASYNC_CANCEL` with `EALREADY` (the send runs on an
    /// io-wq worker) or `ENOENT` (caught between a wake-up and its retry) and leave the send
    /// blocked: toward a peer that stopped reading, for good. No other request of this queue
    /// follows a cancellation, so a repeated one cannot hit a later send.
    private func armCancelRetry() {
        guard cancelRetry == nil else { return }
        // Nothing is submitted while completions are reaped (an expiring timer cancels).
        if ring.isReaping { return ring.execute { [self] in if phase == .submitted { armCancelRetry() } } }
        cancelRetry = WaitTimer(ring: ring, duration: Self.cancelRetryInterval) { [self] in
            cancelRetry = nil
            ring.execute { [self] in
                guard phase == .submitted else { return }
                ring.submitCancel(of: self)
                armCancelRetry()
            }
        }
    }

    static let cancelRetryInterval = Duration.milliseconds(10)

    /// Lets the queued bytes go within `limit` (none when nil), then cancels; new bytes, and
    /// writers waiting for room, are refused (with `EBADF`). For a connection closed, or
    /// dropped, with queued bytes still to send: a peer that stopped reading must not keep
    /// the descriptor open for ever.
    package func close(flushingWithin limit: Duration?) {
        precondition(ring.isCurrentThread)
        guard let limit else { return cancel() }
        isClosing = true
        while let admission = admissions.popFirst() {
            for chunk in admission.chunks { chunk.release() }
            admission.continuation.resume(returning: .failure(.badFileDescriptor))
        }
        guard phase != .idle else { return }
        guard flushTimer == nil else { return }
        flushTimer = WaitTimer(ring: ring, duration: limit) { [self] in cancel() }
    }
}
