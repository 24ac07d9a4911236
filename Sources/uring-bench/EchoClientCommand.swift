import ArgumentParser
import AsyncUring
import AsyncUringSocket

/// `uring-bench echo-client`: the load generator on AsyncUringSocket. Strict ping-pong over
/// many connections for a fixed time; ends with a `RESULT` line and exits non-zero when any
/// round trip or connection failed.
struct EchoClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-client",
        abstract: "Ping-pong load against an echo server; the last line is `RESULT key=value ...`."
    )

    @Option(help: "The server's address (an IP literal).")
    var host = "127.0.0.1"

    @Option(help: "The server's port.")
    var port: Int

    @Option(help: "Concurrent connections.")
    var connections = 50

    @Option(help: "Bytes per message.")
    var size = 64

    @Option(help: "Seconds measured, after the warm-up.")
    var duration: Double = 5

    @Option(help: "Seconds of load before measuring.")
    var warmup: Double = 1

    @Option(help: "The number of rings (default: the CPUs this process may run on).")
    var rings: Int?

    @Option(help: "Also report this process's CPU time per round trip (the server's PID).")
    var serverPid: Int32?

    @Flag(help: "Also print the report as a JSON object, before the RESULT line.")
    var json = false

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be in 1...65535, not \(port)") }
        guard connections >= 1 else { throw ValidationError("--connections must be at least 1, not \(connections)") }
        guard (1...(16 << 20)).contains(size) else {
            throw ValidationError("--size must be in 1...16777216, not \(size)")
        }
        guard duration > 0, duration.isFinite else {
            throw ValidationError("--duration must be positive, not \(duration)")
        }
        guard warmup >= 0, warmup.isFinite else {
            throw ValidationError("--warmup must not be negative, not \(warmup)")
        }
        if let rings, rings < 1 { throw ValidationError("--rings must be at least 1, not \(rings)") }
        if let serverPid, serverPid < 1 { throw ValidationError("--server-pid must be positive, not \(serverPid)") }
    }

    var plan: EchoLoadPlan {
        get throws {
            let address = try SocketAddress(host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
            return EchoLoadPlan(
                address: address,
                connections: connections,
                size: size,
                warmupSeconds: warmup,
                durationSeconds: duration
            )
        }
    }

    func run() async throws {
        let plan = try self.plan
        raiseDescriptorLimit()
        let group = try RingGroup(numberOfRings: rings ?? RingGroup.availableCPUCount)
        let sampler = serverPid.map(CPUTimeSampler.init(pid:))
        let tally = await EchoLoad.run(plan, group: group) { sampler?.sampleStart() }
        sampler?.sampleEnd()
        await group.shutdown()
        let report = tally.report(
            size: size,
            durationSeconds: duration,
            serverMicrosecondsPerRoundTrip: sampler?.microsecondsPerRoundTrip(tally.roundTrips)
        )
        for line in report.textLines(
            connections: connections,
            size: size,
            warmupSeconds: warmup,
            durationSeconds: duration
        ) {
            print(line)
        }
        if let firstError = tally.firstError { print("first error: \(firstError)") }
        if json { print(try report.jsonLine()) }
        announce(report.resultLine)
        if !report.isSuccess { throw ExitCode.failure }
    }
}
