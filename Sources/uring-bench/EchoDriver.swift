import AsyncUring
import AsyncUringSocket
import Glibc

/// Ping-pong over one ring's connections, driven from completions as the C load generator
/// is driven from epoll: each send or receive completion runs a callback on the ring
/// thread that checks the bytes and queues the connection's next request. No task waits per
/// round trip, so the load generator spends about what the server spends per round trip,
/// not the Swift concurrency runtime's cost of a suspension on top.
///
/// Guarded by: the ring thread (every method but ``run(ring:_:window:stallGrace:)``).
final class EchoDriver: @unchecked Sendable {
    /// One connection's loop state; its buffers are made once.
    private final class Loop {
        let index: Int
        let fd: Int32
        var outgoing: [UInt8]
        let incoming: UnsafeMutableRawPointer
        let incomingCapacity: Int
        var sent = 0
        var received = 0
        var sequence: UInt64 = 0
        var started: UInt64 = 0
        var isFinished = false
        var sendDone: CompletionCallback!
        var receiveDone: CompletionCallback!

        init(index: Int, fd: Int32, size: Int) {
            self.index = index
            self.fd = fd
            self.outgoing = EchoPattern.bytes(count: size, seed: index)
            // Large echoes are received and checked in pieces.
            self.incomingCapacity = min(size, 65536)
            self.incoming = .allocate(byteCount: incomingCapacity, alignment: 16)
        }

        deinit {
            incoming.deallocate()
        }
    }

    private enum Step {
        case send, receive, start
    }

    private let ring: Ring
    private let window: MeasurementWindow
    private var loops: [Loop] = []
    /// Next requests queued by completions, submitted after the reaping (see
    /// ``CompletionCallback``), by one queued closure per batch.
    private var pending: [(Loop, Step)] = []
    /// The batch being submitted; swapped with `pending`, so neither reallocates.
    private var submitting: [(Loop, Step)] = []
    private var submitPending: (@Sendable () -> Void)!
    private var running = 0
    /// All the ring's connections in one tally: one latency histogram for them all stays in
    /// the cache, where 500 per-connection histograms cost 4% of the client's time in misses.
    private var tally = ConnectionTally()
    private var isAbandoned = false
    private var finished: CheckedContinuation<ConnectionTally, Never>?

    private init(ring: Ring, window: MeasurementWindow) {
        self.ring = ring
        self.window = window
    }

    /// Runs the loops of `connections` (all on `ring`) until the window's end; a loop still
    /// waiting `stallGrace` after it is ended and counted as stalled.
    /// - Returns: the tally of all of them.
    static func run(
        ring: Ring,
        _ connections: [(index: Int, connection: TCPConnection)],
        size: Int,
        window: MeasurementWindow,
        stallGrace: Double
    ) async -> ConnectionTally {
        let driver = EchoDriver(ring: ring, window: window)
        return await withTaskGroup(of: ConnectionTally?.self) { tasks in
            tasks.addTask {
                await MonotonicClock.sleep(untilNanoseconds: window.end + MonotonicClock.nanoseconds(stallGrace))
                if !Task.isCancelled { ring.execute { driver.abandon() } }
                return nil
            }
            tasks.addTask {
                await withCheckedContinuation { continuation in
                    ring.execute { driver.start(connections, size: size, finished: continuation) }
                }
            }
            var tally = ConnectionTally()
            while let result = await tasks.next() {
                guard let result else { continue }
                tally = result
                tasks.cancelAll()
            }
            return tally
        }
    }

    private func start(
        _ connections: [(index: Int, connection: TCPConnection)],
        size: Int,
        finished: CheckedContinuation<ConnectionTally, Never>
    ) {
        self.finished = finished
        submitPending = { [self] in submitQueued() }
        for (index, connection) in connections {
            let loop = Loop(index: index, fd: connection.fd, size: size)
            loop.sendDone = CompletionCallback { [unowned self, unowned loop] in sent(loop, $0) }
            loop.receiveDone = CompletionCallback { [unowned self, unowned loop] in received(loop, $0) }
            loops.append(loop)
        }
        running = loops.count
        for loop in loops { startRoundTrip(loop) }
        finishIfDone()
    }

    private func startRoundTrip(_ loop: Loop) {
        loop.started = MonotonicClock.now()
        if loop.started >= window.end || isAbandoned { return finish(loop) }
        EchoPattern.stamp(&loop.outgoing, sequence: loop.sequence)
        loop.sent = 0
        loop.received = 0
        submitSend(loop)
    }

    private func submitSend(_ loop: Loop) {
        loop.outgoing.withUnsafeBytes { bytes in
            // SAFETY: `outgoing` is not touched until this send completes.
            ring.submitSend(
                loop.fd,
                bytes.baseAddress! + loop.sent,
                count: bytes.count - loop.sent,
                callback: loop.sendDone
            )
        }
    }

    private func submitReceive(_ loop: Loop) {
        let count = min(loop.outgoing.count - loop.received, loop.incomingCapacity)
        ring.submitReceive(loop.fd, into: loop.incoming, count: count, callback: loop.receiveDone)
    }

    // MARK: Completions (no submitting here)

    private func sent(_ loop: Loop, _ result: Int32) {
        guard result > 0, !isAbandoned else { return fail(loop, .send, result == 0 ? -EPIPE : result) }
        loop.sent += Int(result)
        queue(loop, loop.sent < loop.outgoing.count ? .send : .receive)
    }

    private func received(_ loop: Loop, _ result: Int32) {
        guard result > 0, !isAbandoned else {
            return fail(loop, .receive, result, endOfStream: result == 0 ? loop.received : nil)
        }
        let count = Int(result)
        let piece = UnsafeRawBufferPointer(start: loop.incoming, count: count)
        if let position = EchoPattern.firstMismatch(piece, expected: loop.outgoing, at: loop.received) {
            tally.recordError(EchoFailure.mismatch(at: position))
            return finish(loop)
        }
        loop.received += count
        if loop.received < loop.outgoing.count { return queue(loop, .receive) }
        let now = MonotonicClock.now()
        tally.roundTripsIncludingWarmup += 1
        if loop.started >= window.measureFrom { tally.record(nanoseconds: now - loop.started) }
        loop.sequence &+= 1
        queue(loop, .start)
    }

    private func fail(
        _ loop: Loop,
        _ operation: SocketError.Operation,
        _ result: Int32,
        endOfStream received: Int? = nil
    ) {
        if isAbandoned {
            tally.recordError(CancellationError())
        } else if let received {
            tally.recordError(EchoFailure.endOfStream(received: received, expected: loop.outgoing.count))
        } else {
            tally.recordError(SocketError(operation, result: result))
        }
        finish(loop)
    }

    private func queue(_ loop: Loop, _ step: Step) {
        if pending.isEmpty { ring.execute(submitPending) }
        pending.append((loop, step))
    }

    private func submitQueued() {
        swap(&pending, &submitting)
        defer { submitting.removeAll(keepingCapacity: true) }
        for (loop, step) in submitting {
            switch step {
            case .send: submitSend(loop)
            case .receive: submitReceive(loop)
            case .start: startRoundTrip(loop)
            }
        }
    }

    // MARK: Ending

    private func finish(_ loop: Loop) {
        guard !loop.isFinished else { return }
        loop.isFinished = true
        running -= 1
        finishIfDone()
    }

    private func finishIfDone() {
        guard running == 0, let finished else { return }
        self.finished = nil
        submitPending = nil  // it retains the driver
        finished.resume(returning: tally)
    }

    /// Ends the loops still waiting for an echo: shutting their sockets down completes
    /// their requests, which count as stalled.
    private func abandon() {
        isAbandoned = true
        for loop in loops where !loop.isFinished { Glibc.shutdown(loop.fd, Int32(SHUT_RDWR)) }
    }
}
