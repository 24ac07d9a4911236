import Glibc

/// One task at a time waiting on the ring thread for something a completion provides (data
/// for a multishot receive, an accepted connection).
///
/// Cancelling the waiting task resumes it with `-ECANCELED`. By default each wait installs
/// its own cancellation handler; a wait made inside a connection's cancellation scope
/// (`scoped`) skips that, and the scope's single handler calls ``cancelScopedWait()``.
///
/// Guarded by: ring thread (unchecked exclusivity, as the rest of the ring-thread state).
final class Waiter: @unchecked Sendable {
    private let ring: Ring
    @exclusivity(unchecked) private var continuation: OperationContinuation?
    /// Bumped per wait, so a late cancellation of an earlier wait is ignored.
    @exclusivity(unchecked) private var generation: UInt64 = 0
    @exclusivity(unchecked) private var isScoped = false

    init(ring: Ring) {
        self.ring = ring
    }

    var isWaiting: Bool { continuation != nil }

    /// Suspends until ``resume(_:)``; returns its value, or `-ECANCELED` when the task is
    /// cancelled meanwhile.
    func wait(scoped: Bool) async -> Int32 {
        precondition(ring.isCurrentThread && continuation == nil, "one waiter at a time, on the ring thread")
        generation &+= 1
        isScoped = scoped
        if scoped { return await withOperationContinuation { continuation = $0 } }
        let generation = self.generation
        return await withTaskCancellationHandler {
            await withOperationContinuation { continuation = $0 }
        } onCancel: {
            ring.execute { [self] in resume(-ECANCELED, generation: generation) }
        }
    }

    /// Resumes the current wait, if any, with `result`.
    func resume(_ result: Int32) {
        resume(result, generation: generation)
    }

    /// Called by a cancellation scope's handler: ends the current wait if it relies on it.
    func cancelScopedWait() {
        if isScoped { resume(-ECANCELED) }
    }

    private func resume(_ result: Int32, generation: UInt64) {
        // After the ring ended, leftover work runs elsewhere; nothing waits then.
        guard ring.isCurrentThread, generation == self.generation, let continuation = continuation.take() else {
            return
        }
        continuation.resume(returning: result)
    }
}
