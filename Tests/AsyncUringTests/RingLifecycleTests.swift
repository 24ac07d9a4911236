import Testing

@testable import AsyncUring

/// The ring's lifecycle, event by event, without a kernel: running, stopping, ended.
@Suite struct RingLifecycleTests {
    /// Drives a new lifecycle to `state` through its events.
    static func lifecycle(in state: RingLifecycle.State) -> RingLifecycle {
        var lifecycle = RingLifecycle()
        if state == .running { return lifecycle }
        _ = lifecycle.shutdownRequested()
        if state == .stopping { return lifecycle }
        _ = lifecycle.loopIterationEnded(requestsInFlight: 0, hasQueuedWork: false, hasUnsubmitted: false)
        return lifecycle
    }

    @Test func aNewRingRunsAndTakesRequests() {
        let lifecycle = RingLifecycle()
        #expect(lifecycle.state == .running)
        #expect(!lifecycle.cancelsNewRequests)
        #expect(!lifecycle.refusesOperations)
    }

    @Test func shutdownCancelsEverythingOnceAndRefusesOperations() {
        var lifecycle = RingLifecycle()
        #expect(lifecycle.shutdownRequested() == .cancelEverything)
        #expect(lifecycle.state == .stopping)
        #expect(lifecycle.cancelsNewRequests)
        #expect(lifecycle.refusesOperations)

        // A second shutdown: the cancel-all request was submitted already.
        #expect(lifecycle.shutdownRequested() == .none)
        #expect(lifecycle.state == .stopping)
    }

    @Test func shutdownAfterTheLoopEndedDoesNothing() {
        var lifecycle = Self.lifecycle(in: .ended)
        #expect(lifecycle.state == .ended)
        #expect(lifecycle.shutdownRequested() == .none)
        #expect(lifecycle.state == .ended)
        #expect(lifecycle.refusesOperations)
        // The cancel-all request is gone with the loop: nothing is left to cancel.
        #expect(!lifecycle.cancelsNewRequests)
    }

    @Test func aRunningLoopNeverEnds() {
        var lifecycle = RingLifecycle()
        #expect(lifecycle.loopIterationEnded(requestsInFlight: 0, hasQueuedWork: false, hasUnsubmitted: false) == false)
        #expect(lifecycle.state == .running)
    }

    /// (requests in flight, queued work, unsubmitted requests): each keeps a stopping loop
    /// running until it is drained.
    static let undrained: [(Int, Bool, Bool)] = [
        (1, false, false),
        (64, false, false),
        (0, true, false),
        (0, false, true),
        (3, true, true),
    ]

    @Test(arguments: undrained)
    func aStoppingLoopRunsUntilDrained(requestsInFlight: Int, hasQueuedWork: Bool, hasUnsubmitted: Bool) {
        var lifecycle = Self.lifecycle(in: .stopping)
        let ended = lifecycle.loopIterationEnded(
            requestsInFlight: requestsInFlight,
            hasQueuedWork: hasQueuedWork,
            hasUnsubmitted: hasUnsubmitted
        )
        #expect(!ended)
        #expect(lifecycle.state == .stopping)
        #expect(lifecycle.cancelsNewRequests)

        #expect(lifecycle.loopIterationEnded(requestsInFlight: 0, hasQueuedWork: false, hasUnsubmitted: false) == true)
        #expect(lifecycle.state == .ended)
        #expect(!lifecycle.cancelsNewRequests)
        #expect(lifecycle.refusesOperations)
    }

    @Test func anEndedLoopDoesNotEndTwice() {
        var lifecycle = Self.lifecycle(in: .ended)
        #expect(lifecycle.loopIterationEnded(requestsInFlight: 0, hasQueuedWork: false, hasUnsubmitted: false) == false)
        #expect(lifecycle.state == .ended)
    }

    /// (state, cancels new requests, refuses operations).
    static let flags: [(RingLifecycle.State, Bool, Bool)] = [
        (.running, false, false),
        (.stopping, true, true),
        (.ended, false, true),
    ]

    @Test(arguments: flags)
    func whatEachStateDoesWithNewWork(state: RingLifecycle.State, cancels: Bool, refuses: Bool) {
        let lifecycle = Self.lifecycle(in: state)
        #expect(lifecycle.state == state)
        #expect(lifecycle.cancelsNewRequests == cancels)
        #expect(lifecycle.refusesOperations == refuses)
    }
}
