/// Runs `body` off the ring threads, on the global concurrent executor, and returns to the
/// caller's executor (its ring) with the result.
///
/// For CPU-heavy work in code that runs on a ring (a ``Ring``-preferring task, such as a
/// server's connection handler): while `body` runs, the ring goes on serving its other
/// connections. Marking a function `@concurrent` is not enough: a `@concurrent` function
/// runs on the task's preferred executor, which for such a task is the ring.
///
/// `body` is `@concurrent` so that it runs where the preference set here sends it: a
/// closure that inherits its caller's isolation (the default of a module built with
/// `NonisolatedNonsendingByDefault`) would run on the executor that called it, the ring.
///
/// ```swift
/// let digest = await runOffRing { sha256(of: payload) }
/// try await connection.send(digest)
/// ```
///
/// The global concurrent executor has about one thread per core: keep system calls that
/// block for long (waiting on a pipe, a slow disk, a lock held elsewhere) on threads of
/// their own, such as a `DispatchQueue`.
@concurrent
public func runOffRing<Result, Failure: Error>(
    _ body: @concurrent @Sendable () async throws(Failure) -> sending Result
) async throws(Failure) -> sending Result {
    try await withTaskExecutorPreference(globalConcurrentExecutor) { () async throws(Failure) -> sending Result in
        try await body()
    }
}
