import SystemPackage
import Testing

@testable import AsyncUringSocket

/// The halves in the connection's state machine, event by event, without a kernel.
@Suite struct ConnectionStateMachineHalvesTests {
    typealias Machine = ConnectionStateMachine

    @Test func releasingBothHalvesClosesInEitherOrder() throws {
        for (first, second) in [(Machine.Half.read, Machine.Half.write), (.write, .read)] {
            var machine = Machine()
            try machine.splitRequested()
            #expect(try machine.halfReleased(first) == .keepOpen)
            #expect(machine.isReleased(first))
            #expect(!machine.isReleased(second))
            #expect(try machine.halfReleased(second) == .close)
        }
    }

    @Test func aReleasedHalfRefusesItsCallsButNotTheOthers() throws {
        var machine = Machine()
        try machine.splitRequested()
        _ = try machine.halfReleased(.read)
        let receive = #expect(throws: SocketError.self) { try machine.begin(.receive) }
        #expect(receive?.errno == .badFileDescriptor)
        #expect(receive?.detail == "read half closed")
        try machine.begin(.send)
        #expect(machine.end(.send) == false)

        _ = try machine.halfReleased(.write)
        let send = #expect(throws: SocketError.self) { try machine.begin(.send) }
        #expect(send?.detail == "write half closed")
    }

    @Test func illegalEventsThrowInsteadOfTrapping() throws {
        var machine = Machine()
        let notSplit = #expect(throws: SocketError.self) { _ = try machine.halfReleased(.read) }
        #expect(notSplit?.errno == .badFileDescriptor)

        try machine.splitRequested()
        let again = #expect(throws: SocketError.self) { try machine.splitRequested() }
        #expect(again?.operation == .split)
        #expect(again?.errno == .alreadyInProcess)

        _ = try machine.halfReleased(.write)
        let twice = #expect(throws: SocketError.self) { _ = try machine.halfReleased(.write) }
        #expect(twice?.errno == .badFileDescriptor)

        var closed = Machine()
        _ = try closed.closeRequested()
        closed.closed()
        let afterClose = #expect(throws: SocketError.self) { try closed.splitRequested() }
        #expect(afterClose?.errno == .badFileDescriptor)
    }

    @Test func halvesReleasedAfterTheConnectionClosedCloseNothing() throws {
        var machine = Machine()
        try machine.splitRequested()
        _ = try machine.closeRequested()
        #expect(try machine.halfReleased(.read) == .keepOpen)
        #expect(try machine.halfReleased(.write) == .keepOpen)
    }

    @Test func withoutASplitNoHalfCountsAsReleased() {
        let machine = Machine()
        #expect(!machine.isReleased(.read))
        #expect(!machine.isReleased(.write))
    }
}
