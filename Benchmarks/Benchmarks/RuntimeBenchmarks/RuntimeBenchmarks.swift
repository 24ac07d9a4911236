import AsyncUring
import AsyncUringHTTP
import AsyncUringSocket
import Benchmark

/// Microbenchmarks of the runtime's hot paths, each on a one-ring group made in `setup` and
/// stopped in `teardown`, with the work on a task that prefers the ring as its executor (so
/// every `await` resumes on the ring thread, as in a server's connection handlers).
///
/// Every benchmark runs 1,000 operations per measured iteration (`scalingFactor: .kilo`), so
/// the reported time and malloc count are per operation (`--scale` shows them per 1,000).
/// CPU time comes from /proc/self/stat in 10 ms ticks, so per operation it reads 0 or 10 µs
/// for the NOP benchmarks; wall-clock time is the one to read.
///
/// Names contain no spaces: package-benchmark 1.38 writes threshold files with spaces
/// replaced but looks them up unreplaced (ordo-one/benchmark#301).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        timeUnits: .nanoseconds,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 5_000,
        thresholds: RuntimeBenchmarkThresholds.tolerances
    )

    let nopGroup = Fixture<RingGroup>()
    Benchmark("NOP-submit-to-resume") { benchmark in
        let ring = nopGroup.value.rings[0]
        try await withTaskExecutorPreference(ring) {
            for _ in benchmark.scaledIterations {
                try await ring.nop()
            }
        }
    } setup: {
        try await nopGroup.setUp { try RingGroup(numberOfRings: 1) }
    } teardown: {
        await nopGroup.tearDown { await $0.shutdown() }
    }

    let batchGroup = Fixture<RingGroup>()
    Benchmark("NOP-submit-to-resume-64-tasks") { benchmark in
        let ring = batchGroup.value.rings[0]
        let operations = benchmark.scaledIterations.count
        let taskCount = 64
        try await withTaskExecutorPreference(ring) {
            // Child tasks inherit the preference: the ring thread runs all 64, and one
            // io_uring_enter submits what they queued since the last one.
            try await withThrowingDiscardingTaskGroup { group in
                for task in 0..<taskCount {
                    // Split the 1,000 NOPs exactly, so the per-operation numbers stay exact.
                    let share = operations / taskCount + (task < operations % taskCount ? 1 : 0)
                    group.addTask {
                        for _ in 0..<share {
                            try await ring.nop()
                        }
                    }
                }
            }
        }
    } setup: {
        try await batchGroup.setUp { try RingGroup(numberOfRings: 1) }
    } teardown: {
        await batchGroup.tearDown { await $0.shutdown() }
    }

    let pingPongPair = Fixture<LoopbackPair>()
    Benchmark("Send+receive-64B-round-trip") { benchmark in
        let pair = pingPongPair.value
        let request = [UInt8](repeating: 0x51, count: 64)
        let reply = [UInt8](repeating: 0x52, count: 64)
        var serverBuffer = [UInt8](repeating: 0, count: 64)
        var clientBuffer = [UInt8](repeating: 0, count: 64)
        // The buffers above are made once; from here on, allocations are the runtime's.
        benchmark.startMeasurement()
        try await withTaskExecutorPreference(pair.ring) {
            for _ in benchmark.scaledIterations {
                try await pair.client.send(request)
                try await pair.server.receiveExactly(into: &serverBuffer)
                try await pair.server.send(reply)
                try await pair.client.receiveExactly(into: &clientBuffer)
            }
        }
    } setup: {
        try await pingPongPair.setUp { try await LoopbackPair.make() }
    } teardown: {
        try await pingPongPair.tearDown { try await $0.shutdown() }
    }

    let uncopiedPair = Fixture<LoopbackPair>()
    Benchmark("Send+receive-64B-round-trip-uncopied") { benchmark in
        let pair = uncopiedPair.value
        let request = [UInt8](repeating: 0x51, count: 64)
        benchmark.startMeasurement()
        // The server echoes the buffer it received in; the client drops the echo unread.
        try await withTaskExecutorPreference(pair.ring) {
            for _ in benchmark.scaledIterations {
                try await pair.client.send(request)
                var echoed = 0
                while echoed < request.count {
                    guard let bytes = try await pair.server.receiveBytes() else { throw EndOfStream() }
                    echoed += bytes.count
                    try await pair.server.send(bytes)
                }
                var received = 0
                while received < request.count {
                    guard let bytes = try await pair.client.receiveBytes() else { throw EndOfStream() }
                    received += bytes.count
                }
            }
        }
    } setup: {
        try await uncopiedPair.setUp { try await LoopbackPair.make() }
    } teardown: {
        try await uncopiedPair.tearDown { try await $0.shutdown() }
    }

    let listenerPair = Fixture<LoopbackPair>()
    Benchmark("Accept+connect+close") { benchmark in
        let pair = listenerPair.value
        let ring = pair.ring
        let listener = pair.listener
        try await withTaskExecutorPreference(ring) {
            for _ in benchmark.scaledIterations {
                let client = try await TCPConnection.connect(to: listener.localAddress, ring: ring)
                let server = try await listener.accept()
                // The accepted end closes first, so TIME_WAIT lands on the listener's side and
                // the client's ephemeral port is free again at once.
                try await server.close()
                try await client.close()
            }
        }
    } setup: {
        try await listenerPair.setUp { try await LoopbackPair.make() }
    } teardown: {
        try await listenerPair.tearDown { try await $0.shutdown() }
    }

    let httpLoopback = Fixture<HTTPLoopback>()
    Benchmark("HTTP-keep-alive-plaintext-request") { benchmark in
        let http = httpLoopback.value
        var buffer = [UInt8](repeating: 0, count: http.responseLength)
        benchmark.startMeasurement()
        // One request, one response, on a keep-alive connection: parse, handler, response
        // head and body, Date, metrics, and the client's send and receive.
        try await withTaskExecutorPreference(http.ring) {
            for _ in benchmark.scaledIterations {
                try await http.client.send(HTTPLoopback.request)
                try await http.client.receiveExactly(into: &buffer)
            }
        }
    } setup: {
        try await httpLoopback.setUp { try await HTTPLoopback.make() }
    } teardown: {
        try await httpLoopback.tearDown { try await $0.shutdown() }
    }

    sleepBenchmarks()
}
