import Glibc
import Testing

@testable import AsyncUring

/// Rings with 8 submission and 8 completion entries under thousands of requests in flight:
/// the submission queue fills and is flushed mid-batch, the completion queue overflows into
/// the kernel's backlog. Every request must complete exactly once, release its state object
/// and leave the ring usable.
@Suite(.timeLimit(.minutes(1)))
struct PressureTests {
    static let tinyRing = RingConfiguration(submissionEntries: 8, completionEntries: 8)

    enum Request: CaseIterable, Sendable {
        /// `IORING_OP_NOP`: completes during the submission itself.
        case nop
        /// `IORING_OP_TIMEOUT` of 1 ms: completes later, many at the same moment.
        case timeout
        /// `IORING_OP_TIMEOUT` of an hour with a 1 ms `IORING_OP_LINK_TIMEOUT`: two entries
        /// that must reach the kernel in the same submission.
        case linkedTimeout

        var expectedResult: Int32 {
            switch self {
            case .nop: 0
            case .timeout: -ETIME
            case .linkedTimeout: -ETIMEDOUT
            }
        }

        func perform(on ring: Ring, _ operation: OperationState) async throws -> Int32 {
            switch self {
            case .nop: try await ring.nop(operation)
            case .timeout: try await ring.sleep(for: .milliseconds(1), operation)
            case .linkedTimeout: try await ring.sleep(for: .seconds(3600), operation, timeout: .milliseconds(1))
            }
        }
    }

    @Test(arguments: Request.allCases)
    func thousandsInFlightOnATinyRingEachCompleteOnce(request: Request) async throws {
        let group = try RingGroup(numberOfRings: 1, configuration: Self.tinyRing)
        let ring = group.rings[0]
        let count = 4000
        let states = (0..<count).map { _ in OperationState() }
        let released = states.map { WeakState($0) }
        let results = try await withThrowingTaskGroup(of: Int32.self) { tasks in
            for state in states {
                tasks.addTask(executorPreference: ring) { try await request.perform(on: ring, state) }
            }
            return try await tasks.reduce(into: [Int32: Int]()) { $0[$1, default: 0] += 1 }
        }
        #expect(results == [request.expectedResult: count])
        #expect(try await ring.run { ring.inFlightCount } == 0)
        // The ring gave back the reference each request held: nothing keeps a state alive.
        _ = consume states
        #expect(released.allSatisfy { $0.state == nil })
        try await ring.nop()
        await group.shutdown()
    }

    @Test func moreRequestsThanSubmissionEntriesInOneBatchAllComplete() async throws {
        let group = try RingGroup(numberOfRings: 1, configuration: Self.tinyRing)
        let ring = group.rings[0]
        // One task submits them all in one go, without suspending between submissions.
        let completed = try await Task(executorPreference: ring) {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for _ in 0..<1000 {
                    tasks.addTask(executorPreference: ring) { try await ring.nop() }
                }
                return try await tasks.reduce(0) { count, _ in count + 1 }
            }
        }.value
        #expect(completed == 1000)
        await group.shutdown()
    }

    @Test func cancellingThousandsInFlightOnATinyRingCancelsEachOnce() async throws {
        let group = try RingGroup(numberOfRings: 1, configuration: Self.tinyRing)
        let ring = group.rings[0]
        let states = (0..<3000).map { _ in OperationState() }
        let released = states.map { WeakState($0) }
        let sleepers = states.map { state in
            Task(executorPreference: ring) { try await ring.sleep(for: .seconds(3600), state) }
        }
        try await Task.sleep(for: .milliseconds(100))
        // Every cancel needs a submission entry: thousands of them go through 8 entries.
        for sleeper in sleepers { sleeper.cancel() }
        var cancelled = 0
        for sleeper in sleepers {
            if case .failure(let error) = await sleeper.result, error is CancellationError { cancelled += 1 }
        }
        #expect(cancelled == 3000)
        #expect(try await ring.run { ring.inFlightCount } == 0)
        _ = consume states
        #expect(released.allSatisfy { $0.state == nil })
        try await ring.nop()
        await group.shutdown()
    }

    @Test func thousandsOfTimeoutsFiringAtOnceWhileOthersAreCancelled() async throws {
        let group = try RingGroup(numberOfRings: 1, configuration: Self.tinyRing)
        let ring = group.rings[0]
        let firing = (0..<2000).map { _ in
            Task(executorPreference: ring) { try await ring.sleep(for: .milliseconds(50), OperationState()) }
        }
        let cancelled = (0..<2000).map { _ in
            Task(executorPreference: ring) { try await ring.sleep(for: .seconds(3600), OperationState()) }
        }
        try await Task.sleep(for: .milliseconds(40))
        for task in cancelled { task.cancel() }
        var fired = 0
        for task in firing where try await task.value == -ETIME { fired += 1 }
        var ended = 0
        for task in cancelled {
            if case .failure(let error) = await task.result, error is CancellationError { ended += 1 }
        }
        #expect(fired == 2000)
        #expect(ended == 2000)
        #expect(try await ring.run { ring.inFlightCount } == 0)
        await group.shutdown()
    }

    @Test func shutdownOfATinyRingWithThousandsInFlightResumesEveryTask() async throws {
        let group = try RingGroup(numberOfRings: 1, configuration: Self.tinyRing)
        let ring = group.rings[0]
        let waiting = (0..<3000).map { index in
            Task(executorPreference: ring) {
                index % 2 == 0
                    ? try await ring.sleep(for: .seconds(3600), OperationState())
                    : try await ring.sleep(for: .seconds(3600), OperationState(), timeout: .seconds(3600))
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        await group.shutdown()
        var cancelled = 0
        for task in waiting {
            if case .failure(let error) = await task.result, error is CancellationError { cancelled += 1 }
        }
        #expect(cancelled == 3000)
        #expect(ring.isTerminated)
    }
}

/// A weak reference, to see whether anything still holds a state object.
struct WeakState: @unchecked Sendable {
    weak var state: OperationState?
    init(_ state: OperationState) { self.state = state }
}
