internal import CLiburing
import DequeModule
import Glibc
import SystemPackage

/// A connection's multishot receive (`IORING_OP_RECV` with `IORING_RECV_MULTISHOT` and a
/// provided buffer ring): one request that stays armed and completes once per arrival of
/// data, each time in a buffer the kernel picked from the ring's provided buffer ring.
///
/// Received buffers queue here until ``receive(into:timeout:)`` copies them out, so data
/// is never lost to a cancelled or timed-out wait: it stays for the next call. A receive
/// that finds data queued returns without suspending. The request is armed on demand and
/// cancelled once `chunkLimit` buffers wait unread, so a connection that is not read holds
/// few buffers and the kernel's socket buffer (TCP flow control) takes the backlog. When
/// the buffer ring runs dry the kernel ends the request with `ENOBUFS`; the ring arms it
/// again once buffers come back.
///
/// Guarded by: ring thread.
/// Its ring-thread state is `@exclusivity(unchecked)`: only the ring thread touches it, never
/// through overlapping accesses, and the dynamic checks cost about 2% of an echo round trip.
package final class MultishotReceive: CompletionTarget, StarvableReceive, @unchecked Sendable {
    private struct Chunk {
        var id: UInt16
        var start: Int
        var end: Int
    }

    /// Unread buffers beyond which the request is cancelled until the reader catches up.
    static let chunkLimit = 8

    private let ring: Ring
    private let descriptor: SocketDescriptor
    @exclusivity(unchecked) private var chunks = Deque<Chunk>()
    @exclusivity(unchecked) private var state = ReceiveStateMachine()
    private let waiter: Waiter
    @exclusivity(unchecked) private var timer: WaitTimer?

    package init(ring: Ring, descriptor: SocketDescriptor) {
        self.ring = ring
        self.descriptor = descriptor
        self.waiter = Waiter(ring: ring)
    }

    /// Copies received bytes into `buffer` from its start, waiting for some when none are
    /// queued.
    /// - Returns: the number of bytes (0 at end of stream) or the error that ended the
    ///   stream; `ETIMEDOUT` when `timeout` passed with nothing received; `ECANCELED` once
    ///   ``close()`` ran.
    /// - Throws: `CancellationError` when the task is cancelled while waiting (nothing is
    ///   lost: data that arrives stays queued) or the ring stops; ``RingError`` when the
    ///   provided buffer ring cannot be set up.
    package func receive(into buffer: inout [UInt8], timeout: Duration?, scoped: Bool = false) async throws -> IOResult
    {
        if let result = try await waitUntilReadable(timeout: timeout, scoped: scoped) {
            return IOResult(completion: result)
        }
        return .success(copyQueued(into: &buffer))
    }

    /// Like ``receive(into:timeout:)``, into a new array of at most `maxBytes` bytes (empty
    /// at end of stream).
    package func receive(maxBytes: Int, timeout: Duration?, scoped: Bool = false) async throws -> Result<[UInt8], Errno>
    {
        if let result = try await waitUntilReadable(timeout: timeout, scoped: scoped) {
            return IOResult(completion: result).map { _ in [] }
        }
        let queued = chunks.reduce(0) { $0 + $1.end - $1.start }
        var bytes = [UInt8](repeating: 0, count: min(maxBytes, queued))
        _ = copyQueued(into: &bytes)
        return .success(bytes)
    }

    /// Like ``receive(into:timeout:)``, but lends the first queued buffer out whole instead of
    /// copying it.
    /// - Returns: the bytes, or how the receive ended (end of stream, or an error).
    package func receiveBytes(timeout: Duration?, scoped: Bool = false) async throws -> Received {
        if let result = try await waitUntilReadable(timeout: timeout, scoped: scoped) {
            return result == 0 ? .endOfStream : .failed(Errno(rawValue: -result))
        }
        let chunk = chunks.removeFirst()
        return .bytes(
            ReceivedBytes(
                buffers: ring.providedBuffers!,
                ring: ring,
                id: chunk.id,
                start: chunk.start,
                count: chunk.end - chunk.start
            )
        )
    }

    /// What ``receiveBytes(timeout:scoped:)`` gives.
    package enum Received: ~Copyable {
        case bytes(ReceivedBytes)
        case endOfStream
        case failed(Errno)
    }

    /// Returns nil once data is queued, else the result that ends the receive.
    private func waitUntilReadable(timeout: Duration?, scoped: Bool) async throws -> Int32? {
        precondition(ring.isCurrentThread, "operations are submitted from the ring thread")
        _ = try ring.providedBufferRing()
        while true {
            switch state.receiveRequested(hasQueuedData: !chunks.isEmpty, isRingStopping: ring.isStopping) {
            case .deliverQueued: return nil
            case .report(let result): return result
            case .refuse: throw CancellationError()
            case .armAndWait: submit()
            case .wait: break
            }
            if let result = try await waitForData(timeout: timeout, scoped: scoped) { return result }
        }
    }

    /// Copies as many queued bytes as fit, recycling every buffer emptied.
    private func copyQueued(into buffer: inout [UInt8]) -> Int {
        var copied = 0
        buffer.withUnsafeMutableBytes { target in
            while copied < target.count, var chunk = chunks.first {
                let count = min(target.count - copied, chunk.end - chunk.start)
                let source = ring.providedBuffers!.bytes(chunk.id, count: chunk.end)
                (target.baseAddress! + copied).copyMemory(from: source.baseAddress! + chunk.start, byteCount: count)
                copied += count
                chunk.start += count
                if chunk.start == chunk.end {
                    chunks.removeFirst()
                    ring.recycleBuffer(chunk.id)
                } else {
                    chunks[0] = chunk
                }
            }
        }
        return copied
    }

    /// Suspends until a completion changes something; nil then, or the result to return.
    private func waitForData(timeout: Duration?, scoped: Bool) async throws -> Int32? {
        try Task.checkCancellation()
        if let timeout {
            timer = WaitTimer(ring: ring, duration: timeout) { [waiter] in waiter.resume(-ETIMEDOUT) }
        }
        let result = await waiter.wait(scoped: scoped)
        timer?.cancel()
        timer = nil
        switch result {
        case -ECANCELED where state.stream != .closed: throw CancellationError()
        case -ETIMEDOUT: return chunks.isEmpty && state.stream == .open ? -ETIMEDOUT : nil
        default: return nil
        }
    }

    /// Ends a wait that relies on the connection's cancellation scope.
    package func cancelScopedWait() {
        waiter.cancelScopedWait()
    }

    /// Whether the request is in the kernel: the descriptor must stay open meanwhile.
    package var hasRequestInFlight: Bool { state.hasRequestInFlight }

    /// No request in the kernel and nothing received unread: a single-shot receive on the
    /// descriptor (a message with ancillary data, which this request would drop) reads next.
    package var isIdleAndEmpty: Bool { !state.hasRequestInFlight && chunks.isEmpty }

    /// Arms the receive again after it starved, if it still wants to be.
    func armStarved() {
        if state.armStarved() { submit() }
    }

    private func submit() {
        let sqe = ring.nextSubmission()
        io_uring_prep_recv_multishot(sqe, descriptor.fd, nil, 0, 0)
        // No IORING_RECVSEND_POLL_FIRST: armed with bytes and a reset (or a FIN after our own
        // shutdown) already queued, a poll-first receive delivers the bytes with F_MORE and
        // then never completes again (Linux 6.18); reading first reports the reset. An idle
        // connection takes no buffer either way (the kernel puts it back on EAGAIN); only
        // when the buffer ring is empty does reading first end with ENOBUFS at once, and
        // the ring arms it again when buffers come back.
        sqe.pointee.flags |= cliburing_iosqe_buffer_select
        sqe.pointee.buf_group = ProvidedBuffers.groupID
        ring.track(sqe, self)
        descriptor.requestStarted()
    }

    override func complete(result: Int32, flags: UInt32, isFinal: Bool) {
        if flags & IORING_CQE_F_BUFFER != 0 {
            let id = UInt16(truncatingIfNeeded: flags >> cliburing_cqe_buffer_shift)
            ring.providedBuffers!.taken()
            if result > 0 && state.keepsData {
                ring.counters.bytesReceived &+= Int(result)
                chunks.append(Chunk(id: id, start: 0, end: Int(result)))
            } else {
                ring.recycleBuffer(id)
            }
        }
        let action = state.completed(
            result: result,
            isFinal: isFinal,
            queuedChunks: chunks.count,
            chunkLimit: Self.chunkLimit
        )
        perform(action)
        if isFinal { descriptor.requestEnded() }
        waiter.resume(0)
    }

    private func perform(_ action: ReceiveStateMachine.CompletionAction) {
        switch action {
        case .none: break
        case .cancelRequest: ring.submitCancel(of: self)
        case .starve: ring.starve(self)
        }
    }

    /// The connection died on the way out (a send failed with `error`): receives report it
    /// once the queued bytes are read, and the armed request is cancelled, since the kernel
    /// may never complete it.
    package func connectionFailed(_ error: Errno) {
        perform(state.connectionFailed(-error.rawValue))
        waiter.resume(0)
    }

    /// Cancels the armed request, so that the next receive arms a new one that reads what
    /// the socket holds now: after this side's own `shutdown(.read)` the armed request may
    /// never report the end of stream.
    package func rearm() {
        precondition(ring.isCurrentThread, "operations are submitted from the ring thread")
        perform(state.restartRequested())
    }

    /// Ends a wait without a result (the waiting receive looks at the state again).
    func wake() {
        waiter.resume(0)
    }

    /// Stops receiving: cancels the request, drops unread data, ends a waiting receive
    /// with `-ECANCELED`.
    package func close() {
        precondition(ring.isCurrentThread, "operations are submitted from the ring thread")
        guard state.stream != .closed else { return }
        perform(state.closeRequested())
        for chunk in chunks { ring.recycleBuffer(chunk.id) }
        chunks.removeAll()
        waiter.resume(-ECANCELED)
    }
}
