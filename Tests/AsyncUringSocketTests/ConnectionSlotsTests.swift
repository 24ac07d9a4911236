import AsyncUringSocket
import Testing

/// The server's connection slots and descriptor budget, without sockets.
@Suite(.timeLimit(.minutes(1))) struct ConnectionSlotsTests {
    @Test func slotsRunOutAndComeBack() {
        let slots = ConnectionSlots(limit: 2)
        #expect(slots.tryTake())
        #expect(slots.tryTake())
        #expect(!slots.tryTake())
        #expect(slots.used == 2)
        slots.giveBack()
        #expect(slots.tryTake())
        #expect(slots.used == 2)
    }

    @Test func aWaitingTakeGetsTheSlotGivenBack() async {
        let slots = ConnectionSlots(limit: 1)
        #expect(slots.tryTake())
        let waiting = Task { await slots.take() }
        try? await Task.sleep(for: .milliseconds(20))
        slots.giveBack()
        #expect(await waiting.value)
        // The slot went to the waiting task, not back to the pool.
        #expect(slots.used == 1)
        #expect(!slots.tryTake())
    }

    @Test func closingEndsAWaitAndRefusesSlots() async {
        let slots = ConnectionSlots(limit: 1)
        #expect(slots.tryTake())
        let waiting = Task { await slots.take() }
        try? await Task.sleep(for: .milliseconds(20))
        slots.close()
        #expect(await waiting.value == false)
        slots.giveBack()
        #expect(!slots.tryTake())
        #expect(await slots.take() == false)
        #expect(slots.used == 0)
    }

    @Test func cancellingEndsAWait() async {
        let slots = ConnectionSlots(limit: 0)
        let waiting = Task { await slots.take() }
        try? await Task.sleep(for: .milliseconds(20))
        waiting.cancel()
        #expect(await waiting.value == false)
        #expect(slots.used == 0)
    }

    @Test func aFreeSlotIsTakenWithoutWaiting() async {
        let slots = ConnectionSlots(limit: 1)
        #expect(await slots.take())
        #expect(slots.used == 1)
    }

    /// (descriptor limit, descriptors open, connections allowed).
    static let budgets: [(Int, Int, Int)] = [
        (256, 15, 181),  // a quarter of the 241 left (60) is less than the reserve
        (1024, 20, 940),
        (1_048_576, 30, 1_048_482),
        (40, 20, 15),
        (20, 20, 0),
        (10, 20, 0),
        (Int.max, 20, Int.max - 84),
    ]

    @Test(arguments: budgets)
    func theBudgetLeavesTheReserve(limit: Int, open: Int, connections: Int) {
        #expect(DescriptorBudget.maxConnections(descriptorLimit: limit, openDescriptors: open) == connections)
    }
}
