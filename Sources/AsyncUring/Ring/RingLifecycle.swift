/// The lifecycle of a ring, as a value: running, then stopping (every request cancelled,
/// the loop runs until the last completion), then ended (the thread is gone).
///
/// Events return what the ring must do; an event that does not apply in the current state
/// changes nothing.
struct RingLifecycle: Equatable {
    enum State: Equatable {
        case running
        /// `shutdown()` began: the cancel-all request was submitted; every request still
        /// submitted from now on is cancelled at once.
        case stopping
        /// The loop returned; the ring thread is ending or gone.
        case ended
    }

    private(set) var state = State.running

    enum ShutdownAction: Equatable {
        /// Cancel every request in flight and wake every waiter that has none.
        case cancelEverything
        /// Already stopping or ended.
        case none
    }

    mutating func shutdownRequested() -> ShutdownAction {
        guard state == .running else { return .none }
        state = .stopping
        return .cancelEverything
    }

    /// Whether a request submitted now must be cancelled at once: the cancel-all request
    /// that stopping submitted does not see requests submitted after it.
    var cancelsNewRequests: Bool { state == .stopping }

    /// Whether new operations are refused (they throw `CancellationError`).
    var refusesOperations: Bool { state != .running }

    /// Called at the end of each loop iteration; true when the loop must return: stopping,
    /// and nothing is left in flight, queued to run or waiting to be submitted.
    /// `hasUnsubmitted` is only asked while stopping: it reads the kernel-shared queue head.
    mutating func loopIterationEnded(
        requestsInFlight: Int,
        hasQueuedWork: Bool,
        hasUnsubmitted: @autoclosure () -> Bool
    ) -> Bool {
        guard state == .stopping, requestsInFlight == 0, !hasQueuedWork, !hasUnsubmitted() else { return false }
        state = .ended
        return true
    }
}
