import SystemPackage
import Testing

@testable import AsyncUringSocket

/// The listener's lifecycle, event by event, without a kernel: open or closed, and which of
/// its two ways of accepting is in use.
@Suite struct ListenerStateMachineTests {
    typealias Call = ListenerStateMachine.Call

    static let allCalls: [Call] = [.accept, .iterate]

    @Test func aNewListenerIsOpenAndIdle() {
        let machine = ListenerStateMachine()
        #expect(!machine.isClosed)
        #expect(!machine.isAccepting)
        #expect(!machine.isIterating)
    }

    @Test(arguments: allCalls)
    func aCallIsInUseUntilItEnds(call: Call) throws {
        var machine = ListenerStateMachine()
        #expect(try machine.begin(call) == true)
        #expect(machine.isAccepting == (call == .accept))
        #expect(machine.isIterating == (call == .iterate))
        machine.end(call)
        #expect(!machine.isAccepting)
        #expect(!machine.isIterating)
        // The next one begins.
        #expect(try machine.begin(call) == true)
    }

    @Test(arguments: allCalls)
    func aSecondCallOfAKindIsAlreadyInProcess(call: Call) throws {
        var machine = ListenerStateMachine()
        #expect(try machine.begin(call) == true)
        let error = #expect(throws: SocketError.self) { try machine.begin(call) }
        #expect(error?.operation == .accept)
        #expect(error?.errno == .alreadyInProcess)
        // The first one is still in use.
        #expect(machine.isAccepting == (call == .accept))
        #expect(machine.isIterating == (call == .iterate))
        #expect(!machine.isClosed)
    }

    /// `accept()` and the iteration of `connections` use different requests: one of each
    /// may wait at once.
    @Test func anAcceptAndAnIterationRunAtOnce() throws {
        var machine = ListenerStateMachine()
        #expect(try machine.begin(.accept) == true)
        #expect(try machine.begin(.iterate) == true)
        #expect(machine.isAccepting && machine.isIterating)
        machine.end(.iterate)
        #expect(machine.isAccepting && !machine.isIterating)
        machine.end(.accept)
        #expect(!machine.isAccepting && !machine.isIterating)
    }

    @Test func closeIsRequestedOnce() {
        var machine = ListenerStateMachine()
        #expect(machine.closeRequested() == true)
        #expect(machine.isClosed)
        #expect(machine.closeRequested() == false)
        #expect(machine.isClosed)
    }

    /// Once closed, a call does not begin and does not throw: `accept` reports `EBADF`, the
    /// iteration ends.
    @Test(arguments: allCalls)
    func noCallBeginsOnceClosed(call: Call) throws {
        var machine = ListenerStateMachine()
        #expect(machine.closeRequested() == true)
        #expect(try machine.begin(call) == false)
        #expect(!machine.isAccepting)
        #expect(!machine.isIterating)
    }

    /// Closed while a call of the kind waits: the next one finds the listener closed first,
    /// not the other call.
    @Test(arguments: allCalls)
    func aCallAfterCloseIsNotAlreadyInProcess(call: Call) throws {
        var machine = ListenerStateMachine()
        #expect(try machine.begin(call) == true)
        #expect(machine.closeRequested() == true)
        #expect(try machine.begin(call) == false)
        // The waiting call ends as close cancels it.
        machine.end(call)
        #expect(!machine.isAccepting)
        #expect(!machine.isIterating)
        #expect(machine.isClosed)
    }

    @Test(arguments: allCalls)
    func endingACallThatIsNotInUseChangesNothing(call: Call) throws {
        var machine = ListenerStateMachine()
        machine.end(call)
        #expect(!machine.isAccepting)
        #expect(!machine.isIterating)
        #expect(!machine.isClosed)
        #expect(try machine.begin(call) == true)
    }
}
