import ArgumentParser

/// Which program sends the load.
enum LoadgenKind: String, CaseIterable, Codable, Sendable, ExpressibleByArgument {
    /// `uring-bench echo-client`, on AsyncUringSocket.
    case uring
    /// The neutral C load generator from shared/bench (`loadgen`).
    case c
    /// The C UDP load generator from shared/bench (`udp_loadgen`), for `run --udp`.
    case udp
}

/// One load generator run's outcome: its `RESULT` fields, exit status and last output.
struct LoadOutcome: Sendable {
    var fields: [String: Double]?
    var exitStatus: Int32?
    var log: String
}

/// Runs the load generator against a server, pinned to the load CPU.
struct LoadGenerator: Sendable {
    var kind: LoadgenKind
    var executable: String

    /// The arguments for one run; `serverPID` makes the generator report the server's CPU
    /// time per round trip (`srv_us_per_rt`).
    func arguments(
        port: Int,
        benchCase: BenchCase,
        durationSeconds: Double,
        warmupSeconds: Double,
        serverPID: Int32
    )
        -> [String]
    {
        switch kind {
        case .uring:
            [
                "echo-client", "--host", "127.0.0.1", "--port", "\(port)",
                "--connections", "\(benchCase.connections)", "--size", "\(benchCase.size)",
                "--duration", "\(durationSeconds)", "--warmup", "\(warmupSeconds)", "--rings", "1",
                "--server-pid", "\(serverPID)",
            ]
        case .c:
            [
                "-p", "\(port)", "-h", "127.0.0.1", "-c", "\(benchCase.connections)", "-s", "\(benchCase.size)",
                "-d", "\(durationSeconds)", "-w", "\(warmupSeconds)", "-t", "1", "-P", "\(serverPID)",
            ]
        case .udp:
            // udp_loadgen takes whole seconds (`run --udp` validates that) and calls
            // connections flows: one connected socket with one datagram in flight each.
            [
                "-p", "\(port)", "-h", "127.0.0.1", "-f", "\(benchCase.connections)", "-s", "\(benchCase.size)",
                "-d", "\(Int(durationSeconds))", "-w", "\(Int(warmupSeconds))", "-P", "\(serverPID)",
            ]
        }
    }

    /// Runs one load and waits for it, at most warm-up + duration + 30 s (connecting and
    /// draining); a generator still running then is stopped and reported without result.
    func run(
        against server: RunningServer,
        benchCase: BenchCase,
        durationSeconds: Double,
        warmupSeconds: Double,
        pinning: CPUPinning
    ) async throws -> LoadOutcome {
        let (executable, arguments) = pinning.command(
            self.executable,
            self.arguments(
                port: server.port,
                benchCase: benchCase,
                durationSeconds: durationSeconds,
                warmupSeconds: warmupSeconds,
                serverPID: server.child.pid
            ),
            cpu: pinning.loadCPU
        )
        let child = try ChildProcess.launch(
            name: "loadgen",
            executable: executable,
            arguments: arguments,
            capturesStandardError: true
        )
        let limit = Duration.seconds(warmupSeconds + durationSeconds + 30)
        let status = await child.waitForExit(timeout: limit)
        await child.terminate(timeout: .seconds(2))
        let output = child.output.lines.joined(separator: "\n")
        var log = [child.output.tail(6), child.errorOutput?.tail(6) ?? ""].filter { !$0.isEmpty }.joined(
            separator: "\n"
        )
        if status == nil { log += "\n(load generator stopped after \(limit))" }
        return LoadOutcome(fields: ResultLine.parse(output: output), exitStatus: status, log: log)
    }
}
