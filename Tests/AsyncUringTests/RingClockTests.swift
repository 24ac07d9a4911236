import Testing

@testable import AsyncUring

/// Sleeps on real rings, on whichever driver `ASYNC_URING_DRIVER` picks. Upper bounds are
/// generous: they catch a sleep that never ends, not a slow machine.
@Suite(.timeLimit(.minutes(1)))
struct RingClockTests {
    @Test(arguments: [Duration.nanoseconds(1), .microseconds(1), .milliseconds(1), .milliseconds(25)])
    func aSleepOnTheRingLastsAtLeastItsDurationAndResumesThere(duration: Duration) async throws {
        let group = try RingGroup(numberOfRings: 1)
        let ring = group.rings[0]
        let (elapsed, submissions, resumedOnRing) = try await Task(executorPreference: ring) {
            let before = await ring.statistics().submissions
            let start = ContinuousClock.now
            try await RingClock().sleep(for: duration)
            let elapsed = start.duration(to: .now)
            let resumedOnRing = ring.isCurrentThread
            return (elapsed, await ring.statistics().submissions - before, resumedOnRing)
        }.value
        #expect(elapsed >= duration)
        #expect(elapsed < duration + .seconds(10))
        #expect(resumedOnRing)
        // The timeout itself, at least: the sleep went through the ring. (A deadline a
        // microsecond away may pass before the ring reads the clock again: no request then.)
        if duration >= .milliseconds(1) { #expect(submissions >= 1) }
        await group.shutdown()
    }

    @Test func aDeadlineSharedThroughTheClockProtocolIsKept() async throws {
        let group = try RingGroup(numberOfRings: 1)
        let ring = group.rings[0]
        let (deadline, woke, resumedOnRing) = try await Task(executorPreference: ring) {
            let deadline = RingClock.now.advanced(by: .milliseconds(15))
            try await Task.sleep(until: deadline, clock: .ring)
            return (deadline, ContinuousClock.now, ring.isCurrentThread)
        }.value
        #expect(woke >= deadline)
        #expect(resumedOnRing)
        await group.shutdown()
    }

    @Test func theCurrentRingIsTheOneWhoseThreadRunsTheCaller() async throws {
        let group = try RingGroup(numberOfRings: 2)
        #expect(Ring.current == nil)
        for ring in group.rings {
            let current = await Task(executorPreference: ring) { Ring.current }.value
            #expect(current === ring)
        }
        await group.shutdown()
    }

    @Test func aDeadlineInThePastReturnsAtOnce() async throws {
        let group = try RingGroup(numberOfRings: 1)
        let ring = group.rings[0]
        let (elapsed, submissions) = try await Task(executorPreference: ring) {
            let before = await ring.statistics().submissions
            let start = ContinuousClock.now
            try await RingClock().sleep(until: start.advanced(by: .seconds(-5)))
            try await RingClock().sleep(for: .zero)
            let elapsed = start.duration(to: .now)
            return (elapsed, await ring.statistics().submissions - before)
        }.value
        #expect(elapsed < .seconds(1))
        #expect(submissions == 0)
        await group.shutdown()
    }

    @Test func aCancelledTaskThrowsEvenForADeadlineInThePast() async throws {
        let group = try RingGroup(numberOfRings: 1)
        let sleeper = Task(executorPreference: group.rings[0]) {
            withUnsafeCurrentTask { $0?.cancel() }
            try await RingClock().sleep(until: .now.advanced(by: .seconds(-1)))
        }
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        await group.shutdown()
    }

    @Test func cancellingASleeperEndsItsSleepAtOnce() async throws {
        let group = try RingGroup(numberOfRings: 1)
        let ring = group.rings[0]
        let sleeper = Task(executorPreference: ring) {
            try await RingClock().sleep(for: .seconds(3600))
        }
        try await Task.sleep(for: .milliseconds(20))
        let start = ContinuousClock.now
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(start.duration(to: .now) < .seconds(10))
        // The ring goes on: nothing is left in flight, and it still sleeps.
        try await Task(executorPreference: ring) { try await RingClock().sleep(for: .milliseconds(1)) }.value
        #expect(await ring.statistics().operationsInFlight == 0)
        await group.shutdown()
    }

    @Test(arguments: [5000])
    func thousandsOfConcurrentSleepsEachEndOnce(count: Int) async throws {
        let group = try RingGroup(numberOfRings: 1)
        let ring = group.rings[0]
        let start = ContinuousClock.now
        let woken = try await withThrowingTaskGroup(of: Int.self) { tasks in
            for index in 0..<count {
                tasks.addTask(executorPreference: ring) {
                    let duration = Duration.microseconds(index % 97 * 100)
                    let deadline = ContinuousClock.now.advanced(by: duration)
                    try await RingClock().sleep(until: deadline)
                    return ContinuousClock.now >= deadline && ring.isCurrentThread ? 1 : 0
                }
            }
            return try await tasks.reduce(0, +)
        }
        #expect(woken == count)
        #expect(start.duration(to: .now) < .seconds(30))
        #expect(await ring.statistics().operationsInFlight == 0)
        await group.shutdown()
    }

    @Test func stoppingTheRingEndsItsSleepers() async throws {
        let group = try RingGroup(numberOfRings: 1)
        let ring = group.rings[0]
        let sleepers = (0..<32).map { _ in
            Task(executorPreference: ring) { try await RingClock().sleep(for: .seconds(3600)) }
        }
        try await Task.sleep(for: .milliseconds(50))
        await group.shutdown()
        for sleeper in sleepers {
            await #expect(throws: CancellationError.self) { try await sleeper.value }
        }
        // A ring that has ended refuses sleeps as it refuses every operation.
        await #expect(throws: CancellationError.self) {
            try await ring.sleep(until: .now.advanced(by: .milliseconds(1)))
        }
    }

    @Test func offTheRingsItSleepsOnTheContinuousClock() async throws {
        let elapsed = try await Task.detached {
            #expect(Ring.current == nil)
            let start = ContinuousClock.now
            try await RingClock().sleep(for: .milliseconds(5))
            return start.duration(to: .now)
        }.value
        #expect(elapsed >= .milliseconds(5))
        #expect(elapsed < .seconds(10))
    }

    @Test(arguments: [
        (Duration.nanoseconds(5), Duration.nanoseconds(5)),
        (.init(secondsComponent: 0, attosecondsComponent: 1), .nanoseconds(1)),
        (
            .init(secondsComponent: 1, attosecondsComponent: 1_000_000_001),
            .init(secondsComponent: 1, attosecondsComponent: 2_000_000_000)
        ),
    ])
    func sleepsRoundUpToWholeNanoseconds(duration: Duration, expected: Duration) {
        #expect(duration.roundedUpToNanoseconds == expected)
    }
}
