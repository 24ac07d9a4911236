import Glibc

extension Ring {
    /// Suspends the caller until `deadline`, with an `IORING_OP_TIMEOUT` on this ring: the
    /// caller resumes on the ring thread.
    ///
    /// The timeout is relative, on `CLOCK_MONOTONIC`, measured from its submission, so it
    /// never ends before `deadline` on the `ContinuousClock` (`CLOCK_BOOTTIME`, which runs
    /// at least as fast). A deadline that has passed returns at once, without a request.
    /// The state object comes from the ring's pool, as for ``nop()``.
    ///
    /// - Throws: `CancellationError` when the task is cancelled before the timeout fired,
    ///   or the ring is stopping.
    package func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await run { () async throws -> Void in
            guard !isStopping else { throw CancellationError() }
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { return try Task.checkCancellation() }
            let operation = operationPool.popLast() ?? OperationState()
            defer { if operationPool.count < 64 { operationPool.append(operation) } }
            let result = try await sleep(for: remaining.roundedUpToNanoseconds, operation)
            // A timeout that counts no completions ends with ETIME when it fires; a task
            // or ring cancellation has thrown above.
            precondition(result == -ETIME, "IORING_OP_TIMEOUT failed: \(String(cString: strerror(-result)))")
        }
    }
}

extension Duration {
    /// The kernel's timespec holds nanoseconds: truncating a fraction of one would make a
    /// sleep end before its deadline.
    /// Only for non-negative durations.
    var roundedUpToNanoseconds: Duration {
        let fraction = components.attoseconds % 1_000_000_000
        guard fraction != 0 else { return self }
        return self - Duration(secondsComponent: 0, attosecondsComponent: fraction) + .nanoseconds(1)
    }
}
