import Glibc

/// State shared across threads behind a `pthread_mutex_t`: the package's lock.
///
/// `Synchronization.Mutex` would do on speed, but on Linux a contended `Mutex` is handed
/// over in the standard library's slow path (a priority-inheritance futex), which is not
/// built with ThreadSanitizer: a thread that gets the lock there has, for the sanitizer, no
/// edge from the thread that released it, and every read of what the lock protects is
/// reported as a race. `pthread_mutex_lock` is intercepted, so the sanitizer sees this lock
/// and stays able to find real races in what it guards.
package final class Locked<State: ~Copyable>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var state: State

    package init(_ state: consuming State) {
        self.state = state
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let result = pthread_mutex_init(mutex, nil)
        precondition(result == 0, "pthread_mutex_init failed: \(result)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the state while holding the lock.
    package func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending State) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&state)
    }
}
