import AsyncUring
import AsyncUringSocket
import Testing

extension ConnectionModel {
    /// How long one step may take before it counts as a hang. `close()` may wait up to
    /// `closeFlushLimit` (5 s) for a peer that stopped reading.
    static let stepLimit = Duration.seconds(2)
    /// Bytes a side may have sent that the other has not read before a send first drains
    /// them: far below what a non-reading peer holds on loopback (about 4 MiB), so that
    /// sends that are not meant to wait never do.
    static let unreadLimit = 512 * 1024
    /// The timeout of receives that may rightly find nothing.
    static let idleReceiveTimeout = Duration.milliseconds(20)

    /// Runs every step, then ends the pair in order and checks what arrived.
    func run() async {
        for (index, step) in steps.enumerated() where !hasHung {
            stepLabel = "step \(index + 1) \(step)"
            await perform(step)
        }
        guard !hasHung else { return }
        await finish()
    }

    private func perform(_ step: ModelStep) async {
        ModelTally.shared.withLock { $0.steps += 1 }
        let side = step.side
        switch step.action {
        case .send(let count): await send(count, from: side, caller: step.caller)
        case .forward: await forward(at: side, caller: step.caller)
        case .receive(let maxBytes): await receive(at: side, maxBytes: maxBytes, caller: step.caller)
        case .receiveWithTimeout(let milliseconds):
            await receive(at: side, timeout: .milliseconds(milliseconds), caller: step.caller)
        case .cancelReceive(let milliseconds):
            let result = await perform(step.caller, on: side, cancelAfter: .milliseconds(milliseconds)) {
                guard let bytes = try await $0.receive() else { return .end }
                return .bytes(bytes)
            }
            if let result { noteReceived(result, at: side, timeout: false, cancelled: true) }
        case .cancelSend(let count, let milliseconds):
            await send(count, from: side, caller: step.caller, cancelAfter: .milliseconds(milliseconds))
        case .shutdownWrite: await shutdown(side, write: true, caller: step.caller)
        case .shutdownRead: await shutdown(side, write: false, caller: step.caller)
        case .close: await close(side, reset: false, caller: step.caller)
        case .reset: await close(side, reset: true, caller: step.caller)
        }
    }

    /// Ends the pair in order: each open side shuts down writing, each reads what is left
    /// (which checks that an orderly end delivered every byte), then both close. Then no
    /// task a step started may still run.
    private func finish() async {
        for side in [ModelStep.Side.client, .peer] where !self[side].isClosed && !self[side].isWriteShut {
            stepLabel = "end: \(side).shutdown(.write)"
            await shutdown(side, write: true, caller: .outside)
        }
        for side in [ModelStep.Side.client, .peer] where !hasHung {
            stepLabel = "end: \(side) reads what is left"
            for _ in 0..<100_000 where !hasHung {
                let me = self[side]
                if me.isClosed || me.sawEnd || me.sawReset { break }
                let before = me.received
                let waits = mustReturn(at: side)
                await receive(at: side, caller: .outside)
                if !waits && self[side].received == before { break }
            }
            if mustDeliverEverything(to: side) && !self[side].isClosed && !self[side].sawEnd {
                issue("\(side) did not read end of stream after an orderly end")
            }
        }
        for side in [ModelStep.Side.client, .peer] where !hasHung && !self[side].isClosed {
            stepLabel = "end: \(side).close()"
            await close(side, reset: false, caller: .outside)
        }
        stepLabel = "end"
        for task in tasks where await result(of: task, within: .seconds(5)) == nil {
            issue("a step's task still runs after both sides closed")
        }
    }

    // MARK: Steps

    /// Sends `count` new bytes of `side`'s stream (or, when `cancelAfter` is given, more than
    /// the buffers hold, cancelled after that delay).
    private func send(
        _ count: Int,
        from side: ModelStep.Side,
        caller: ModelStep.Caller,
        cancelAfter: Duration? = nil
    )
        async
    {
        let me = self[side]
        if me.isSendBroken && !me.isClosed {
            ModelTally.shared.withLock { $0.skippedSends += 1 }
            trace.append("\(stepLabel): skipped (a send of \(side) failed before)")
            return
        }
        // After close() or shutdown(.write) nothing may arrive: the bytes are not the stream's.
        let void = me.isClosed || me.isWriteShut || me.isWriteShutUncertain
        let timeout = !void && cancelAfter == nil ? await makeRoom(for: count, from: side) : nil
        if hasHung { return }
        if sendMayReset(to: side.other) && !void { isDisturbed = true }
        let bytes = void ? [UInt8](repeating: 0xEE, count: count) : appendOutgoing(count, from: side)
        let result = await perform(caller, on: side, cancelAfter: cancelAfter) {
            try await $0.send(bytes, timeout: timeout)
            return .done
        }
        guard let result else { return }
        // A send cancelled while it waited for room queued nothing: the stream goes on
        // without its bytes.
        if case .failed(let error) = result, error is CancellationError, cancelAfter != nil, !void {
            self[side].outgoing.removeLast(count)
            trace.append("\(stepLabel) -> not queued")
            return
        }
        noteSent(result, from: side, void: void, timeout: timeout != nil, cancelled: cancelAfter != nil)
    }

    /// Receives one buffer with `receiveBytes()` and sends it on, uncopied, to the other side.
    private func forward(at side: ModelStep.Side, caller: ModelStep.Caller) async {
        let me = self[side]
        let sendsOn = !me.isClosed && !me.isSendBroken && !me.isWriteShut && !me.isWriteShutUncertain
        // At most one receive buffer (16 KiB) is forwarded.
        let sendTimeout = sendsOn ? await makeRoom(for: 16384, from: side) : nil
        if hasHung { return }
        if sendsOn && sendMayReset(to: side.other) { isDisturbed = true }
        let receiveTimeout = mustReturn(at: side) ? nil : Self.idleReceiveTimeout
        let result = await perform(caller, on: side) { connection in
            guard let received = try await connection.receiveBytes(timeout: receiveTimeout) else { return .end }
            let copy = [UInt8](received)
            guard sendsOn else { return .bytes(copy) }
            do {
                try await connection.send(received, timeout: sendTimeout)
            } catch {
                return .forwarded(copy, sendFailure: error)
            }
            return .forwarded(copy, sendFailure: nil)
        }
        guard let result else { return }
        guard case .forwarded(let bytes, let failure) = result else {
            return noteReceived(result, at: side, timeout: receiveTimeout != nil, cancelled: false)
        }
        noteReceived(.bytes(bytes), at: side, timeout: false, cancelled: false)
        self[side].outgoing += bytes
        let sent: ModelOperationResult = failure.map { .failed($0) } ?? .done
        noteSent(sent, from: side, void: false, timeout: sendTimeout != nil, cancelled: false)
    }

    /// One receive; without `timeout`, one of 20 ms unless the model says it must return.
    private func receive(
        at side: ModelStep.Side,
        maxBytes: Int = 65536,
        timeout: Duration? = nil,
        caller: ModelStep.Caller
    ) async {
        let timeout = timeout ?? (mustReturn(at: side) ? nil : Self.idleReceiveTimeout)
        let result = await perform(caller, on: side) {
            guard let bytes = try await $0.receive(maxBytes: maxBytes, timeout: timeout) else { return .end }
            return .bytes(bytes)
        }
        if let result { noteReceived(result, at: side, timeout: timeout != nil, cancelled: false) }
    }

    private func shutdown(_ side: ModelStep.Side, write: Bool, caller: ModelStep.Caller) async {
        // The FIN follows the queued bytes: the other side reads them first, if it can.
        var mayStall = false
        if write { mayStall = await !drainQueuedBytes(of: side) }
        if hasHung { return }
        // Shut both ways, a socket answers bytes that still arrive with a reset.
        let me = self[side]
        let shutsBoth = write ? me.isReadShut : me.isWriteShut || me.isWriteShutUncertain
        if shutsBoth && !me.isClosed && me.received < self[side.other].outgoing.count { isDisturbed = true }
        // Bytes the other side will never read hold the FIN up: the shutdown is cancelled.
        let result = await perform(caller, on: side, cancelAfter: mayStall ? .milliseconds(300) : nil) {
            try await $0.shutdown(write ? .write : .read)
            return .done
        }
        if mayStall, case .failed(let error) = result, error is CancellationError {
            self[side].isSendBroken = true
            return
        }
        if let result { noteShutdown(result, at: side, write: write) }
    }

    private func close(_ side: ModelStep.Side, reset: Bool, caller: ModelStep.Caller) async {
        // close() lets the queued bytes go first, for up to 5 s: the other side reads them;
        // when it cannot, the close resets instead (SO_LINGER 0 drops the queued bytes).
        let stalls = reset ? false : await !drainQueuedBytes(of: side)
        let reset = reset || stalls
        if hasHung { return }
        // Closing with unread bytes sends a reset, as SO_LINGER 0 does.
        if !self[side].isClosed && (reset || self[side].received < self[side.other].outgoing.count) {
            isDisturbed = true
        }
        let result = await perform(caller, on: side) {
            if reset { try $0.setOption(.resetOnClose) }
            try await $0.close()
            return .done
        }
        if let result { noteClosed(result, at: side) }
    }

    /// Whether bytes sent to `side` may get a reset back: it closed, or shut down both ways
    /// (Linux resets a connection in `FIN_WAIT` whose read side is shut when data arrives).
    private func sendMayReset(to side: ModelStep.Side) -> Bool {
        let receiver = self[side]
        return receiver.isClosed || receiver.isReadShut && (receiver.isWriteShut || receiver.isWriteShutUncertain)
    }

    /// Before `side` sends `count` more bytes: when the other side would then hold more
    /// than ``unreadLimit`` unread bytes, it reads them first, or, when it cannot, the send
    /// gets a timeout (returned) so that it cannot wait forever.
    private func makeRoom(for count: Int, from side: ModelStep.Side) async -> Duration? {
        let receiver = side.other
        guard self[side].outgoing.count - self[receiver].received + count > Self.unreadLimit else { return nil }
        if self[receiver].isClosed { return nil }  // the reset ends the send
        guard canDrain(receiver) else { return .milliseconds(200) }
        let label = stepLabel
        stepLabel += " (\(receiver) reads first)"
        defer { stepLabel = label }
        while !hasHung && self[receiver].received < self[side].accepted && mustReturn(at: receiver) {
            let before = self[receiver].received
            await receive(at: receiver, caller: .outside)
            if self[receiver].received == before { return .milliseconds(200) }
        }
        return nil
    }

    /// Before a step that waits until `side`'s queued bytes were sent (a write shutdown, a
    /// close): the other side reads what `side` sent, when it can. Returns false when it
    /// cannot and more is unread than the socket buffers surely take: the step may stall.
    /// (A closed receiver is no way out: one that shut its read side first keeps its window
    /// closed, and no reset comes back.)
    /// A write shutdown that failed (cancelled while it waited for the queue to drain) may
    /// have left the bytes queued: they count as well.
    private func drainQueuedBytes(of side: ModelStep.Side) async -> Bool {
        let me = self[side]
        guard !me.isClosed && !me.isWriteShut else { return true }
        // What surely drains without the other side reading: up to the limit, but nothing
        // toward one that shut its read side, whose window stays closed (a close flushed
        // 134 KB toward such a peer for its full 5 s, and counted as a hang).
        let room = self[side.other].isReadShut ? 0 : Self.unreadLimit
        guard me.outgoing.count - self[side.other].received > room else { return true }
        guard canDrain(side.other) else { return false }
        return await makeRoom(for: 0, from: side) == nil
    }

    // MARK: Tasks

    /// Runs `body` on `side`'s connection in a new task started as `caller` says, cancelled
    /// after `cancelAfter` when given. Returns nil, and records a hang, when it does not
    /// finish within ``stepLimit``.
    private func perform(
        _ caller: ModelStep.Caller,
        on side: ModelStep.Side,
        cancelAfter: Duration? = nil,
        _ body: @escaping @Sendable (TCPConnection) async throws -> ModelOperationResult
    ) async -> ModelOperationResult? {
        let connection = connection(side)
        let operation: @Sendable () async -> ModelOperationResult = {
            do { return try await body(connection) } catch { return .failed(error) }
        }
        let task: Task<ModelOperationResult, Never>
        switch caller {
        case .outside:
            task = Task { await operation() }
        case .ring:
            task = Task(executorPreference: connection.ring) { await operation() }
        case .ringScope:
            task = Task(executorPreference: connection.ring) {
                do { return try await connection.withCancellationScope { await operation() } } catch {
                    return .failed(error)
                }
            }
        }
        tasks.append(task)
        if let cancelAfter {
            if cancelAfter > .zero { try? await Task.sleep(for: cancelAfter) }
            task.cancel()
        }
        guard let result = await result(of: task, within: Self.stepLimit) else {
            hasHung = true
            issue("hang: the step did not finish within \(Self.stepLimit)")
            return nil
        }
        trace.append("\(stepLabel) -> \(result)")
        return result
    }
}

/// `task`'s value, or nil when it does not finish within `limit` (it is left running).
/// Unlike `finishes(_:within:)`, which polls every 5 ms, this returns as soon as the task
/// ends: a run waits for hundreds of steps.
func result<T: Sendable>(of task: Task<T, Never>, within limit: Duration) async -> T? {
    let first = FirstResult<T>()
    var timer: Task<Void, Never>?
    let value = await withCheckedContinuation { continuation in
        first.wait(continuation)
        Task { first.resume(with: await task.value) }
        timer = Task {
            try? await Task.sleep(for: limit)
            first.resume(with: nil)
        }
    }
    timer?.cancel()
    return value
}

/// Resumes one continuation with whichever result comes first.
private final class FirstResult<T: Sendable>: Sendable {
    private let continuation = Locked<CheckedContinuation<T?, Never>?>(nil)

    func wait(_ continuation: CheckedContinuation<T?, Never>) {
        self.continuation.withLock { $0 = continuation }
    }

    func resume(with value: T?) {
        continuation.withLock { $0.take() }?.resume(returning: value)
    }
}
