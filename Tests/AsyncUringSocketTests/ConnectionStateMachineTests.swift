import Glibc
import SystemPackage
import Testing

@testable import AsyncUringSocket

/// The connection's lifecycle, event by event, without a kernel: open, closing, closed; the
/// calls in flight; write shutdown; the failure that ended the connection.
@Suite struct ConnectionStateMachineTests {
    typealias Call = ConnectionStateMachine.Call

    static let allCalls: [Call] = [.connect, .receive, .send, .shutdownRead, .shutdownWrite]

    /// Expects `body` to throw a ``SocketError`` of `operation` with `errno`.
    static func expectError(
        _ operation: SocketError.Operation,
        _ errno: Errno,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws(SocketError) -> Void
    ) {
        let error = #expect(throws: SocketError.self, sourceLocation: sourceLocation) { try body() }
        #expect(error?.operation == operation, sourceLocation: sourceLocation)
        #expect(error?.errno == errno, sourceLocation: sourceLocation)
    }

    @Test func aNewConnectionIsOpenAndIdle() {
        let machine = ConnectionStateMachine()
        #expect(machine.state == .open)
        #expect(!machine.isReceiving)
        #expect(machine.sendsInFlight == 0)
        #expect(!machine.isControlling)
        #expect(machine.callsInFlight == 0)
        #expect(!machine.isWriteShutDown)
        #expect(machine.failure == nil)
    }

    // MARK: begin and end

    /// (call, receiving, sending, controlling while it is in flight).
    static let flags: [(Call, Bool, Bool, Bool)] = [
        (.connect, false, false, true),
        (.receive, true, false, false),
        (.send, false, true, false),
        (.shutdownRead, false, false, true),
        (.shutdownWrite, false, false, true),
    ]

    @Test(arguments: flags)
    func aCallIsCountedInFlightUntilItEnds(call: Call, receiving: Bool, sending: Bool, controlling: Bool) throws {
        var machine = ConnectionStateMachine()
        try machine.begin(call)
        #expect(machine.isReceiving == receiving)
        #expect((machine.sendsInFlight == 1) == sending)
        #expect(machine.isControlling == controlling)
        #expect(machine.callsInFlight == 1)
        #expect(machine.state == .open)

        // No close waits: ending the call lets nothing go on.
        #expect(machine.end(call) == false)
        #expect(!machine.isReceiving)
        #expect(machine.sendsInFlight == 0)
        #expect(!machine.isControlling)
        #expect(machine.callsInFlight == 0)

        // The next call of the kind begins.
        try machine.begin(call)
        #expect(machine.callsInFlight == 1)
    }

    /// (first call, second call): the second is refused while the first is in flight.
    static let conflicts: [(Call, Call)] = [
        (.receive, .receive),
        (.connect, .connect),
        (.connect, .shutdownRead),
        (.shutdownRead, .connect),
        (.shutdownRead, .shutdownRead),
        (.connect, .shutdownWrite),
        (.shutdownRead, .shutdownWrite),
        (.shutdownWrite, .connect),
        (.shutdownWrite, .shutdownRead),
        (.shutdownWrite, .shutdownWrite),
    ]

    @Test(arguments: conflicts)
    func aSecondCallOfAKindIsAlreadyInProcess(first: Call, second: Call) throws {
        var machine = ConnectionStateMachine()
        try machine.begin(first)
        let before = (machine.isReceiving, machine.sendsInFlight, machine.isControlling)
        Self.expectError(second.operation, .alreadyInProcess) { () throws(SocketError) in try machine.begin(second) }
        // The refused call changed nothing: the first is still the only one in flight.
        #expect(machine.callsInFlight == 1)
        #expect((machine.isReceiving, machine.sendsInFlight, machine.isControlling) == before)
        #expect(machine.state == .open)

        // Once the first ends, the second may begin.
        #expect(machine.end(first) == false)
        try machine.begin(second)
        #expect(machine.callsInFlight == 1)
    }

    /// (first call, second call): calls of different kinds run at once, and so do sends,
    /// which queue; a write shutdown waits for the sends queued before it.
    static let compatible: [(Call, Call)] = [
        (.send, .send),
        (.send, .shutdownWrite),
        (.receive, .send),
        (.receive, .connect),
        (.receive, .shutdownRead),
        (.receive, .shutdownWrite),
        (.shutdownWrite, .receive),
        (.send, .connect),
        (.send, .shutdownRead),
        (.connect, .send),
        (.shutdownRead, .send),
    ]

    @Test(arguments: compatible)
    func callsOfDifferentKindsRunAtOnce(first: Call, second: Call) throws {
        var machine = ConnectionStateMachine()
        try machine.begin(first)
        try machine.begin(second)
        #expect(machine.callsInFlight == 2)
        #expect(machine.end(second) == false)
        #expect(machine.end(first) == false)
        #expect(machine.callsInFlight == 0)
        #expect(!machine.isReceiving && machine.sendsInFlight == 0 && !machine.isControlling)
    }

    @Test func manySendsAreInFlightAtOnce() throws {
        var machine = ConnectionStateMachine()
        for count in 1...8 {
            try machine.begin(.send)
            #expect(machine.sendsInFlight == count)
        }
        #expect(try machine.closeRequested() == .waitForCalls)
        for count in (1...7).reversed() {
            #expect(machine.end(.send) == false)
            #expect(machine.sendsInFlight == count)
        }
        #expect(machine.end(.send) == true)
        #expect(machine.sendsInFlight == 0)
    }

    @Test func theOperationOfEachCall() {
        #expect(Call.connect.operation == .connect)
        #expect(Call.receive.operation == .receive)
        #expect(Call.send.operation == .send)
        #expect(Call.shutdownRead.operation == .shutdown)
        #expect(Call.shutdownWrite.operation == .shutdown)
    }

    // MARK: close

    @Test func closeWithNothingInFlightProceeds() throws {
        var machine = ConnectionStateMachine()
        #expect(try machine.closeRequested() == .proceed)
        #expect(machine.state == .closing)
        machine.closed()
        #expect(machine.state == .closed)
    }

    /// Close waits for the calls in flight: the end of the last one lets it go on.
    @Test(arguments: [
        [Call.receive], [.receive, .send], [.send, .receive, .shutdownRead], [.receive, .shutdownWrite],
    ])
    func closeWaitsForTheCallsInFlight(calls: [Call]) throws {
        var machine = ConnectionStateMachine()
        for call in calls { try machine.begin(call) }
        #expect(try machine.closeRequested() == .waitForCalls)
        #expect(machine.state == .closing)
        #expect(machine.callsInFlight == calls.count)
        for call in calls.dropLast() {
            #expect(machine.end(call) == false)
        }
        #expect(machine.end(calls.last!) == true)
        #expect(machine.callsInFlight == 0)
        machine.closed()
        #expect(machine.state == .closed)
    }

    @Test(arguments: allCalls)
    func noCallBeginsOnceCloseWasRequested(call: Call) throws {
        var machine = ConnectionStateMachine()
        _ = try machine.closeRequested()
        Self.expectError(call.operation, .badFileDescriptor) { () throws(SocketError) in try machine.begin(call) }
        #expect(machine.callsInFlight == 0)
        #expect(!machine.isReceiving && machine.sendsInFlight == 0 && !machine.isControlling)
        #expect(machine.state == .closing)
    }

    /// A call refused while closing does not count, so it does not hold the close up.
    @Test(arguments: allCalls)
    func aCallRefusedWhileClosingLeavesTheCountAlone(call: Call) throws {
        var machine = ConnectionStateMachine()
        try machine.begin(.receive)
        #expect(try machine.closeRequested() == .waitForCalls)
        Self.expectError(call.operation, .badFileDescriptor) { () throws(SocketError) in try machine.begin(call) }
        #expect(machine.callsInFlight == 1)
        #expect(machine.end(.receive) == true)
    }

    @Test(arguments: allCalls)
    func noCallBeginsOnceClosed(call: Call) throws {
        var machine = ConnectionStateMachine()
        _ = try machine.closeRequested()
        machine.closed()
        Self.expectError(call.operation, .badFileDescriptor) { () throws(SocketError) in try machine.begin(call) }
        #expect(machine.callsInFlight == 0)
        #expect(machine.state == .closed)
    }

    @Test func closeTwiceIsABadDescriptor() throws {
        var machine = ConnectionStateMachine()
        try machine.begin(.receive)
        #expect(try machine.closeRequested() == .waitForCalls)
        Self.expectError(.close, .badFileDescriptor) { () throws(SocketError) in _ = try machine.closeRequested() }
        #expect(machine.state == .closing)
        // The first close still waits for the receive.
        #expect(machine.end(.receive) == true)

        machine.closed()
        Self.expectError(.close, .badFileDescriptor) { () throws(SocketError) in _ = try machine.closeRequested() }
        #expect(machine.state == .closed)
    }

    /// Once the ring ended, the descriptor is closed without a close request first.
    @Test func closedWithoutACloseRequestRefusesEverything() throws {
        var machine = ConnectionStateMachine()
        machine.closed()
        #expect(machine.state == .closed)
        Self.expectError(.close, .badFileDescriptor) { () throws(SocketError) in _ = try machine.closeRequested() }
        Self.expectError(.receive, .badFileDescriptor) { () throws(SocketError) in try machine.begin(.receive) }
    }

    /// No close waits once the descriptor is closed: a call that ends then lets nothing go on.
    @Test func aCallEndingAfterCloseLetsNothingGoOn() throws {
        var machine = ConnectionStateMachine()
        try machine.begin(.send)
        machine.closed()
        #expect(machine.end(.send) == false)
        #expect(machine.callsInFlight == 0)
    }

    /// A call that was never begun (or ended already) ends: that must change nothing, like
    /// every other event that does not apply.
    @Test(arguments: allCalls)
    func endingACallThatIsNotInFlightChangesNothing(call: Call) throws {
        var machine = ConnectionStateMachine()
        // A call of another kind is in flight, and close waits for it.
        let other: Call = call == .receive ? .send : .receive
        try machine.begin(other)
        #expect(try machine.closeRequested() == .waitForCalls)
        #expect(machine.end(call) == false)
        #expect(machine.callsInFlight == 1)
        #expect(machine.isReceiving == (other == .receive))
        #expect(machine.sendsInFlight == (other == .send ? 1 : 0))
    }

    // MARK: Send failures

    /// (errno, after write shutdown, ends the connection): `EPIPE` is the peer's doing only
    /// while writing was not shut down here; cancellations and retryable errors end nothing.
    static let sendFailures: [(Int32, Bool, Bool)] = [
        (ECONNRESET, false, true),
        (ECONNRESET, true, true),
        (EPIPE, false, true),
        (EPIPE, true, false),
        (ECONNABORTED, false, true),
        (ENOTCONN, false, true),
        (ETIMEDOUT, false, true),
        (EHOSTUNREACH, false, true),
        (ENETUNREACH, false, true),
        (ENETDOWN, true, true),
        (ENETRESET, false, true),
        (ECANCELED, false, false),
        (ECANCELED, true, false),
        (EAGAIN, false, false),
        (EINTR, false, false),
        (ENOBUFS, false, false),
        (EMSGSIZE, false, false),
        (EBADF, false, false),
    ]

    @Test(arguments: sendFailures)
    func aSendFailureEndsTheConnectionOrNot(errno: Int32, afterWriteShutdown: Bool, ends: Bool) throws {
        #expect(
            ConnectionStateMachine.endsConnection(Errno(rawValue: errno), afterWriteShutdown: afterWriteShutdown)
                == ends
        )

        var machine = ConnectionStateMachine()
        if afterWriteShutdown {
            try machine.begin(.shutdownWrite)
            #expect(machine.end(.shutdownWrite) == false)
            #expect(machine.isWriteShutDown)
        }
        #expect(machine.sendFailed(Errno(rawValue: errno)) == ends)
        #expect(machine.failure == (ends ? Errno(rawValue: errno) : nil))
        #expect(machine.state == .open)
    }

    @Test func theFirstFailureThatEndsTheConnectionStays() {
        var machine = ConnectionStateMachine()
        #expect(machine.sendFailed(Errno(rawValue: ECANCELED)) == false)
        #expect(machine.sendFailed(Errno(rawValue: EAGAIN)) == false)
        #expect(machine.failure == nil)
        #expect(machine.sendFailed(Errno(rawValue: ECONNRESET)) == true)
        #expect(machine.failure == .connectionReset)
        // Reported once: the receive side ended with the first one already.
        #expect(machine.sendFailed(Errno(rawValue: EPIPE)) == false)
        #expect(machine.sendFailed(Errno(rawValue: ECONNRESET)) == false)
        #expect(machine.failure == .connectionReset)
    }

    @Test func aFailureDuringCloseIsStillRecorded() throws {
        var machine = ConnectionStateMachine()
        try machine.begin(.send)
        #expect(try machine.closeRequested() == .waitForCalls)
        #expect(machine.sendFailed(Errno(rawValue: ECONNRESET)) == true)
        #expect(machine.failure == .connectionReset)
        #expect(machine.end(.send) == true)
    }

    @Test func writeShutdownIsRemembered() throws {
        var machine = ConnectionStateMachine()
        try machine.begin(.send)
        try machine.begin(.shutdownWrite)
        #expect(machine.isWriteShutDown)
        // A send that began before may still fail with EPIPE: ours, it ends nothing.
        #expect(machine.sendFailed(Errno(rawValue: EPIPE)) == false)
        #expect(machine.failure == nil)
        #expect(machine.end(.send) == false)
        #expect(machine.end(.shutdownWrite) == false)
        #expect(machine.isWriteShutDown)
        // A send after it is refused: its bytes would follow the FIN.
        Self.expectError(.send, .brokenPipe) { () throws(SocketError) in try machine.begin(.send) }
        #expect(machine.callsInFlight == 0)
    }
}
