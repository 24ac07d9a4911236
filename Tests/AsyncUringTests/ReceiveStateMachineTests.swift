import Glibc
import Testing

@testable import AsyncUring

/// The multishot receive's lifecycle, event by event, without a kernel: where its one request
/// is (idle, armed, cancelling, starved) and where the stream is (open, ended, closed).
@Suite struct ReceiveStateMachineTests {
    typealias Action = ReceiveStateMachine.CompletionAction
    typealias Request = ReceiveStateMachine.Request
    typealias Stream = ReceiveStateMachine.Stream

    static let chunkLimit = 8

    /// Where the request is, reached through the machine's own events from a new machine.
    enum RequestSetup: CaseIterable, Sendable, CustomTestStringConvertible {
        case idle
        case armed
        /// Paused: the unread chunks reached the limit while armed.
        case cancelling
        /// Ended with `ENOBUFS`.
        case starved

        var request: Request {
            switch self {
            case .idle: .idle
            case .armed: .armed
            case .cancelling: .cancelling
            case .starved: .starved
            }
        }

        var testDescription: String { "\(self)" }

        func make() -> ReceiveStateMachine {
            var machine = ReceiveStateMachine()
            guard self != .idle else { return machine }
            #expect(machine.receiveRequested(hasQueuedData: false, isRingStopping: false) == .armAndWait)
            switch self {
            case .idle, .armed: break
            case .cancelling:
                let action = machine.completed(
                    result: 100,
                    isFinal: false,
                    queuedChunks: ReceiveStateMachineTests.chunkLimit,
                    chunkLimit: ReceiveStateMachineTests.chunkLimit
                )
                #expect(action == .cancelRequest)
            case .starved:
                let action = machine.completed(
                    result: -ENOBUFS,
                    isFinal: true,
                    queuedChunks: 0,
                    chunkLimit: ReceiveStateMachineTests.chunkLimit
                )
                #expect(action == .starve)
            }
            #expect(machine.request == request)
            #expect(machine.stream == .open)
            return machine
        }
    }

    // MARK: A new machine

    @Test func aNewReceiveIsIdleAndOpen() {
        let machine = ReceiveStateMachine()
        #expect(machine.request == .idle)
        #expect(machine.stream == .open)
        #expect(!machine.hasRequestInFlight)
        #expect(machine.keepsData)
    }

    @Test(arguments: RequestSetup.allCases)
    func onlyAnArmedOrCancellingRequestIsInTheKernel(setup: RequestSetup) {
        let machine = setup.make()
        #expect(machine.hasRequestInFlight == (setup == .armed || setup == .cancelling))
        #expect(machine.keepsData)
    }

    // MARK: receiveRequested

    @Test func aReceiveArmsTheIdleRequestOnDemand() {
        var machine = ReceiveStateMachine()
        #expect(machine.receiveRequested(hasQueuedData: false, isRingStopping: false) == .armAndWait)
        #expect(machine.request == .armed)
        #expect(machine.hasRequestInFlight)
        #expect(machine.stream == .open)
    }

    /// A request that is armed, being cancelled or starved is not armed a second time: the
    /// receive waits for its next completion (or for buffers to come back).
    @Test(arguments: [RequestSetup.armed, .cancelling, .starved])
    func aReceiveWaitsWhileTheRequestIsNotIdle(setup: RequestSetup) {
        var machine = setup.make()
        #expect(machine.receiveRequested(hasQueuedData: false, isRingStopping: false) == .wait)
        #expect(machine.request == setup.request)
        #expect(machine.stream == .open)
    }

    @Test(arguments: RequestSetup.allCases, [false, true])
    func queuedDataIsDeliveredWithoutTouchingTheRequest(setup: RequestSetup, isRingStopping: Bool) {
        var machine = setup.make()
        #expect(machine.receiveRequested(hasQueuedData: true, isRingStopping: isRingStopping) == .deliverQueued)
        #expect(machine.request == setup.request)
        #expect(machine.stream == .open)
    }

    @Test(arguments: RequestSetup.allCases)
    func aStoppingRingRefusesAWaitOnAnOpenStream(setup: RequestSetup) {
        var machine = setup.make()
        #expect(machine.receiveRequested(hasQueuedData: false, isRingStopping: true) == .refuse)
        // Refusing arms nothing: an idle request stays idle.
        #expect(machine.request == setup.request)
        #expect(machine.stream == .open)
    }

    // MARK: Completions that are not final

    /// (unread chunks after the completion, action): the request is cancelled (paused) once
    /// the chunks reach the limit.
    static let nonFinalCompletions: [(Int, Action)] = [
        (1, .none),
        (chunkLimit - 1, .none),
        (chunkLimit, .cancelRequest),
        (chunkLimit + 3, .cancelRequest),
    ]

    @Test(arguments: nonFinalCompletions)
    func anArmedRequestPausesAtTheChunkLimit(queuedChunks: Int, action: Action) {
        var machine = RequestSetup.armed.make()
        let result = machine.completed(
            result: 512,
            isFinal: false,
            queuedChunks: queuedChunks,
            chunkLimit: Self.chunkLimit
        )
        #expect(result == action)
        #expect(machine.request == (action == .cancelRequest ? .cancelling : .armed))
        #expect(machine.hasRequestInFlight)
        #expect(machine.stream == .open)
    }

    /// Only an armed request is paused: one being cancelled already is asked once, and idle
    /// or starved ones have no request to cancel.
    @Test(arguments: [RequestSetup.idle, .cancelling, .starved])
    func onlyAnArmedRequestIsPaused(setup: RequestSetup) {
        var machine = setup.make()
        let action = machine.completed(
            result: 512,
            isFinal: false,
            queuedChunks: Self.chunkLimit + 1,
            chunkLimit: Self.chunkLimit
        )
        #expect(action == .none)
        #expect(machine.request == setup.request)
        #expect(machine.stream == .open)
    }

    @Test func aClosedStreamIsNotPausedAgain() {
        var machine = RequestSetup.armed.make()
        #expect(machine.closeRequested() == .cancelRequest)
        let action = machine.completed(
            result: 512,
            isFinal: false,
            queuedChunks: Self.chunkLimit,
            chunkLimit: Self.chunkLimit
        )
        #expect(action == .none)
        #expect(machine.request == .cancelling)
    }

    // MARK: Final completions

    /// (final result, action, request after it, stream after it), from an open stream.
    static let finalCompletions: [(Int32, Action, Request, Stream)] = [
        (-ENOBUFS, .starve, .starved, .open),
        (-ECANCELED, .none, .idle, .open),
        (1, .none, .idle, .open),
        (4096, .none, .idle, .open),
        (0, .none, .idle, .ended(0)),
        (-ECONNRESET, .none, .idle, .ended(-ECONNRESET)),
        (-ETIMEDOUT, .none, .idle, .ended(-ETIMEDOUT)),
        (-EBADF, .none, .idle, .ended(-EBADF)),
    ]

    @Test(arguments: [RequestSetup.armed, .cancelling], finalCompletions)
    func aFinalCompletionOnAnOpenStream(
        setup: RequestSetup,
        completion: (Int32, Action, Request, Stream)
    ) {
        let (result, action, request, stream) = completion
        var machine = setup.make()
        #expect(
            machine.completed(result: result, isFinal: true, queuedChunks: 0, chunkLimit: Self.chunkLimit) == action
        )
        #expect(machine.request == request)
        #expect(machine.stream == stream)
        #expect(!machine.hasRequestInFlight)
    }

    /// Paused, the reader catches up, the cancellation completes: the next receive arms the
    /// request again.
    @Test func aPausedRequestIsArmedAgainOnDemand() {
        var machine = RequestSetup.cancelling.make()
        #expect(machine.receiveRequested(hasQueuedData: true, isRingStopping: false) == .deliverQueued)
        #expect(machine.receiveRequested(hasQueuedData: false, isRingStopping: false) == .wait)
        #expect(
            machine.completed(result: -ECANCELED, isFinal: true, queuedChunks: 0, chunkLimit: Self.chunkLimit) == .none
        )
        #expect(machine.request == .idle)
        #expect(machine.stream == .open)
        #expect(machine.receiveRequested(hasQueuedData: false, isRingStopping: false) == .armAndWait)
        #expect(machine.request == .armed)
    }

    /// A final completion with data (the kernel may end a multishot request so): the next
    /// receive takes the data, the one after arms the request again.
    @Test func aFinalCompletionWithDataIsArmedAgainOnDemand() {
        var machine = RequestSetup.armed.make()
        #expect(machine.completed(result: 100, isFinal: true, queuedChunks: 1, chunkLimit: Self.chunkLimit) == .none)
        #expect(machine.receiveRequested(hasQueuedData: true, isRingStopping: false) == .deliverQueued)
        #expect(machine.receiveRequested(hasQueuedData: false, isRingStopping: false) == .armAndWait)
        #expect(machine.request == .armed)
    }

    @Test(arguments: [Int32(0), -ECONNRESET, -ETIMEDOUT])
    func theEndIsReportedAfterTheQueuedDataAndForever(result: Int32) {
        var machine = RequestSetup.armed.make()
        #expect(machine.completed(result: result, isFinal: true, queuedChunks: 3, chunkLimit: Self.chunkLimit) == .none)
        #expect(machine.stream == .ended(result))
        #expect(machine.keepsData)
        #expect(machine.receiveRequested(hasQueuedData: true, isRingStopping: false) == .deliverQueued)
        #expect(machine.receiveRequested(hasQueuedData: true, isRingStopping: true) == .deliverQueued)
        for _ in 0..<2 {
            #expect(machine.receiveRequested(hasQueuedData: false, isRingStopping: false) == .report(result))
        }
        // An ended stream is reported even while the ring stops, and is never armed again.
        #expect(machine.receiveRequested(hasQueuedData: false, isRingStopping: true) == .report(result))
        #expect(machine.request == .idle)
        #expect(machine.armStarved() == false)
    }

    /// `ENOBUFS` on a stream that is no longer open does not starve: nobody wants the data.
    @Test func noBuffersAfterTheStreamEndedOrClosedDoesNotStarve() {
        var failed = RequestSetup.armed.make()
        #expect(failed.connectionFailed(-ECONNRESET) == .cancelRequest)
        #expect(
            failed.completed(result: -ENOBUFS, isFinal: true, queuedChunks: 0, chunkLimit: Self.chunkLimit) == .none
        )
        #expect(failed.request == .idle)
        #expect(failed.stream == .ended(-ECONNRESET))

        var closed = RequestSetup.armed.make()
        #expect(closed.closeRequested() == .cancelRequest)
        #expect(
            closed.completed(result: -ENOBUFS, isFinal: true, queuedChunks: 0, chunkLimit: Self.chunkLimit) == .none
        )
        #expect(closed.request == .idle)
        #expect(closed.stream == .closed)
    }

    /// The first result that ends the stream stays: a later final error or end of stream
    /// does not replace it.
    @Test(arguments: [Int32(0), -ECONNRESET, -EPIPE])
    func theFirstEndStays(later: Int32) {
        var machine = RequestSetup.armed.make()
        #expect(machine.connectionFailed(-ETIMEDOUT) == .cancelRequest)
        #expect(machine.completed(result: later, isFinal: true, queuedChunks: 0, chunkLimit: Self.chunkLimit) == .none)
        #expect(machine.stream == .ended(-ETIMEDOUT))
        #expect(machine.request == .idle)
    }

    @Test(arguments: [Int32(0), -ECONNRESET, 100])
    func aFinalCompletionAfterCloseLeavesTheStreamClosed(result: Int32) {
        var machine = RequestSetup.armed.make()
        #expect(machine.closeRequested() == .cancelRequest)
        #expect(machine.completed(result: result, isFinal: true, queuedChunks: 0, chunkLimit: Self.chunkLimit) == .none)
        #expect(machine.stream == .closed)
        #expect(machine.request == .idle)
        #expect(!machine.hasRequestInFlight)
    }

    // MARK: connectionFailed

    /// (request before, action, request after): an armed request is cancelled, since the
    /// kernel may never complete it on a reset connection; a starved one has no request.
    static let stopRequests: [(RequestSetup, Action, Request)] = [
        (.idle, .none, .idle),
        (.armed, .cancelRequest, .cancelling),
        (.cancelling, .none, .cancelling),
        (.starved, .none, .idle),
    ]

    @Test(arguments: stopRequests)
    func aFailedConnectionEndsTheStream(
        setup: RequestSetup,
        action: Action,
        request: Request
    ) {
        var machine = setup.make()
        #expect(machine.connectionFailed(-ECONNRESET) == action)
        #expect(machine.request == request)
        #expect(machine.stream == .ended(-ECONNRESET))
        #expect(machine.keepsData)
        // Reported at once, after the queued data, without waiting for the kernel.
        #expect(machine.receiveRequested(hasQueuedData: true, isRingStopping: false) == .deliverQueued)
        #expect(machine.receiveRequested(hasQueuedData: false, isRingStopping: false) == .report(-ECONNRESET))
        #expect(machine.armStarved() == false)
    }

    @Test func aConnectionFailsOnce() {
        var machine = RequestSetup.armed.make()
        #expect(machine.connectionFailed(-EPIPE) == .cancelRequest)
        #expect(machine.connectionFailed(-ECONNRESET) == .none)
        #expect(machine.stream == .ended(-EPIPE))
        #expect(machine.request == .cancelling)
    }

    @Test func aFailureAfterTheEndOfStreamChangesNothing() {
        var machine = RequestSetup.armed.make()
        #expect(machine.completed(result: 0, isFinal: true, queuedChunks: 0, chunkLimit: Self.chunkLimit) == .none)
        #expect(machine.connectionFailed(-ECONNRESET) == .none)
        #expect(machine.stream == .ended(0))
        #expect(machine.request == .idle)
    }

    @Test func aFailureAfterCloseChangesNothing() {
        var machine = RequestSetup.armed.make()
        #expect(machine.closeRequested() == .cancelRequest)
        #expect(machine.connectionFailed(-ECONNRESET) == .none)
        #expect(machine.stream == .closed)
        #expect(machine.request == .cancelling)
    }

    // MARK: closeRequested

    @Test(arguments: stopRequests)
    func closeStopsTheRequestAndDropsData(
        setup: RequestSetup,
        action: Action,
        request: Request
    ) {
        var machine = setup.make()
        #expect(machine.closeRequested() == action)
        #expect(machine.request == request)
        #expect(machine.stream == .closed)
        #expect(!machine.keepsData)
        // Queued data is dropped, and no wait begins even while the ring stops.
        for (hasQueuedData, isRingStopping) in [(false, false), (true, false), (false, true), (true, true)] {
            let action = machine.receiveRequested(hasQueuedData: hasQueuedData, isRingStopping: isRingStopping)
            #expect(action == .report(-ECANCELED))
        }
        #expect(machine.armStarved() == false)
        #expect(machine.request == request)
    }

    @Test func closeTwiceDoesNothingTheSecondTime() {
        var machine = RequestSetup.armed.make()
        #expect(machine.closeRequested() == .cancelRequest)
        #expect(machine.closeRequested() == .none)
        #expect(machine.request == .cancelling)
        #expect(machine.stream == .closed)
    }

    @Test(arguments: [Int32(0), -ECONNRESET])
    func closeAfterTheStreamEndedDropsTheEnd(result: Int32) {
        var machine = RequestSetup.armed.make()
        #expect(machine.completed(result: result, isFinal: true, queuedChunks: 0, chunkLimit: Self.chunkLimit) == .none)
        #expect(machine.closeRequested() == .none)
        #expect(machine.stream == .closed)
        #expect(machine.receiveRequested(hasQueuedData: true, isRingStopping: false) == .report(-ECANCELED))
    }

    // MARK: armStarved

    @Test func aStarvedReceiveIsArmedOnceBuffersAreBack() {
        var machine = RequestSetup.starved.make()
        #expect(!machine.hasRequestInFlight)
        #expect(machine.armStarved() == true)
        #expect(machine.request == .armed)
        #expect(machine.hasRequestInFlight)
        // Once: it is armed now, the ring's list may hold it no longer.
        #expect(machine.armStarved() == false)
        #expect(machine.request == .armed)
    }

    @Test(arguments: [RequestSetup.idle, .armed, .cancelling])
    func onlyAStarvedReceiveIsArmedByTheRing(setup: RequestSetup) {
        var machine = setup.make()
        #expect(machine.armStarved() == false)
        #expect(machine.request == setup.request)
    }

    /// Starved, then stopped: it stays in the ring's list, and the ring skips it.
    @Test func aStarvedReceiveThatWasStoppedIsNotArmed() {
        var closed = RequestSetup.starved.make()
        #expect(closed.closeRequested() == .none)
        #expect(closed.armStarved() == false)
        #expect(closed.request == .idle)

        var failed = RequestSetup.starved.make()
        #expect(failed.connectionFailed(-ECONNRESET) == .none)
        #expect(failed.armStarved() == false)
        #expect(failed.request == .idle)
    }

    /// Starved again after being armed again: the cycle repeats.
    @Test func aReceiveStarvesAgainAfterBeingArmed() {
        var machine = RequestSetup.starved.make()
        #expect(machine.armStarved() == true)
        #expect(
            machine.completed(result: -ENOBUFS, isFinal: true, queuedChunks: 0, chunkLimit: Self.chunkLimit) == .starve
        )
        #expect(machine.request == .starved)
        #expect(machine.armStarved() == true)
        #expect(machine.completed(result: 0, isFinal: true, queuedChunks: 0, chunkLimit: Self.chunkLimit) == .none)
        #expect(machine.stream == .ended(0))
    }
}
