import AsyncUringTestSupport
import Glibc
import Testing

@testable import AsyncUring

@Suite(.timeLimit(.minutes(1)))
struct RingTests {
    @Test func ringSetUpWithTheFlagsTheKernelAccepts() async throws {
        let group = try RingGroup(numberOfRings: 1, configuration: RingConfiguration(driver: .ioUring))
        let ring = group.rings[0]
        // This machine's kernel (6.x) accepts the preferred set-up.
        #expect(ring.driver == .ioUring)
        #expect(ring.setupFlags.contains(.singleIssuer))
        #expect(ring.setupFlags.description.contains("SINGLE_ISSUER"))
        await group.shutdown()
        #expect(ring.isTerminated)
    }

    @Test func ringThreadsAreNamedForProfilers() async throws {
        let group = try RingGroup(numberOfRings: 1)
        let names = await Task(executorPreference: group.rings[0]) { () -> String in
            guard let file = fopen("/proc/thread-self/comm", "r") else { return "" }
            defer { fclose(file) }
            var name = [CChar](repeating: 0, count: 32)
            _ = fgets(&name, Int32(name.count), file)
            return String(decoding: name.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }.value
        #expect(names == "uring-0")
        await group.shutdown()
    }

    @Test func taskWithRingPreferenceRunsOnTheRingThreadAfterEveryAwait() async throws {
        let group = try RingGroup(numberOfRings: 1)
        let ring = group.rings[0]
        let onRing = try await Task(executorPreference: ring) { () async throws -> [Bool] in
            let operation = OperationState()
            var seen: [Bool] = [ring.isCurrentThread]
            for _ in 0..<100 {
                let result = try await ring.nop(operation)
                seen.append(result == 0 && ring.isCurrentThread)
            }
            try await Task.sleep(for: .milliseconds(1))
            seen.append(ring.isCurrentThread)
            async let child = ring.isCurrentThread
            seen.append(await child)
            return seen
        }.value
        #expect(onRing.allSatisfy { $0 })
        #expect(!ring.isCurrentThread)
        await group.shutdown()
    }

    @Test func operationsFromOtherThreadsHopToTheRing() async throws {
        let group = try RingGroup(numberOfRings: 2)
        let results = try await withThrowingTaskGroup(of: Int32.self) { tasks in
            for index in 0..<64 {
                tasks.addTask {
                    let ring = group.rings[index % 2]
                    return try await ring.run { try await ring.nop(OperationState()) }
                }
            }
            return try await tasks.reduce(into: []) { $0.append($1) }
        }
        #expect(results == Array(repeating: 0, count: 64))
        await group.shutdown()
    }

    @Test func manyRingsWorkConcurrently() async throws {
        let group = try RingGroup(numberOfRings: 8)
        let counts = try await withThrowingTaskGroup(of: Int.self) { tasks in
            for ring in group.rings {
                tasks.addTask(executorPreference: ring) {
                    let operation = OperationState()
                    var completed = 0
                    for _ in 0..<2000 where try await ring.nop(operation) == 0 { completed += 1 }
                    return completed
                }
            }
            return try await tasks.reduce(0, +)
        }
        #expect(counts == 8 * 2000)
        await group.shutdown()
        #expect(group.rings.allSatisfy { $0.isTerminated })
    }

    @Test(arguments: [
        RingConfiguration(receiveBufferCount: 0),
        RingConfiguration(receiveBufferCount: 3),
        RingConfiguration(receiveBufferCount: 65535),
        RingConfiguration(receiveBufferSize: 0),
        RingConfiguration(submissionEntries: 0),
    ])
    func anInvalidConfigurationThrowsInsteadOfTrapping(configuration: RingConfiguration) throws {
        let error = #expect(throws: RingError.self) { try RingGroup(numberOfRings: 1, configuration: configuration) }
        #expect(error?.errno == .invalidArgument)
        #expect(error?.description.contains("ring configuration failed") == true, "\(String(describing: error))")
    }

    @Test(arguments: [0, -1])
    func aGroupOfNoRingsThrows(count: Int) throws {
        let error = #expect(throws: RingError.self) { try RingGroup(numberOfRings: count) }
        #expect(error?.errno == .invalidArgument)
    }

    @Test func creatingAndDestroyingAHundredRingsLeaksNothing() async throws {
        let before = openDescriptorCount()
        for _ in 0..<100 {
            let group = try RingGroup(numberOfRings: 1, configuration: RingConfiguration(submissionEntries: 64))
            let ring = group.rings[0]
            #expect(try await ring.run { try await ring.nop(OperationState()) } == 0)
            await group.shutdown()
        }
        #expect(openDescriptorCount() == before)
    }

    @Test func shutdownCancelsOperationsInFlight() async throws {
        let group = try RingGroup(numberOfRings: 1)
        let ring = group.rings[0]
        // Timeouts that would take an hour: the shutdown must end them at once.
        let waiting = (0..<32).map { _ in
            Task(executorPreference: ring) {
                try await ring.sleep(for: .seconds(3600), OperationState())
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        await group.shutdown()
        for task in waiting {
            await #expect(throws: CancellationError.self) { try await task.value }
        }
        #expect(ring.isTerminated)
        // A ring that has ended refuses new work with CancellationError, never hangs.
        await #expect(throws: CancellationError.self) { try await ring.run { try await ring.nop(OperationState()) } }
    }

    @Test func cancellingATaskCancelsItsRequest() async throws {
        let group = try RingGroup(numberOfRings: 1)
        let ring = group.rings[0]
        let sleeper = Task(executorPreference: ring) {
            try await ring.sleep(for: .seconds(3600), OperationState())
        }
        try await Task.sleep(for: .milliseconds(20))
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        await group.shutdown()
    }

    @Test func linkedTimeoutReportsTimedOut() async throws {
        let group = try RingGroup(numberOfRings: 1)
        let ring = group.rings[0]
        let result = try await Task(executorPreference: ring) {
            try await ring.sleep(for: .seconds(3600), OperationState(), timeout: .milliseconds(10))
        }.value
        #expect(result == -ETIMEDOUT)
        await group.shutdown()
    }
}
