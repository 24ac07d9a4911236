import AsyncUring

/// A one-way latch tasks can wait on; waiting ends early when the waiting task is cancelled.
final class ShutdownSignal: Sendable {
    private struct State: ~Copyable {
        var isTriggered = false
        var nextID = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Locked(State())

    var isTriggered: Bool { state.withLock { $0.isTriggered } }

    func trigger() {
        let waiters = state.withLock { state in
            state.isTriggered = true
            defer { state.waiters = [:] }
            return state.waiters.values
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once ``trigger()`` was called or the task is cancelled.
    func wait() async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    if state.isTriggered || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}
