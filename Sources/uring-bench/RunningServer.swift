import Foundation

/// Which CPUs the runner pins the server and the load generator to: with two CPUs or more,
/// the server gets CPU 0 and the load CPU 1 (through `taskset`, which execs the program, so
/// the PID stays the program's); otherwise nothing is pinned.
struct CPUPinning: Sendable {
    var tasksetPath: String?

    static func detect(availableCPUs: Int) -> CPUPinning {
        guard availableCPUs >= 2 else { return CPUPinning(tasksetPath: nil) }
        return CPUPinning(tasksetPath: ["/usr/bin/taskset", "/bin/taskset"].first(where: isExecutable))
    }

    /// The executable and arguments that run `command` on `cpu`.
    func command(_ executable: String, _ arguments: [String], cpu: Int) -> (String, [String]) {
        guard let tasksetPath else { return (executable, arguments) }
        return (tasksetPath, ["-c", "\(cpu)", executable] + arguments)
    }

    var serverCPU: Int { 0 }
    var loadCPU: Int { 1 }
}

/// A started echo server, ready for load.
struct RunningServer: Sendable {
    static let startTimeout: Duration = .seconds(10)

    let server: BenchServer
    let child: ChildProcess
    let port: Int

    /// Starts `server` and waits (at most ``startTimeout``) until it accepts connections.
    /// - Throws: ``RunnerError/serverFailedToStart`` when it exits first or is not ready in
    ///   time; the process is stopped then.
    static func start(_ server: BenchServer, pinning: CPUPinning) async throws -> RunningServer {
        var chosenPort = 0
        if server.kind.readiness != .announcement {
            guard let port = Loopback.freePort(datagram: server.kind.transport == .udp) else {
                throw RunnerError.serverFailedToStart(name: server.name, reason: "no free port on 127.0.0.1", log: "")
            }
            chosenPort = port
        }
        let (executable, arguments) = pinning.command(
            server.executable,
            server.kind.arguments(port: chosenPort),
            cpu: pinning.serverCPU
        )
        let child = try ChildProcess.launch(
            name: server.name,
            executable: executable,
            arguments: arguments,
            capturesStandardError: true
        )
        do {
            let port = try await waitUntilReady(child, server: server, chosenPort: chosenPort)
            return RunningServer(server: server, child: child, port: port)
        } catch {
            await child.terminate(timeout: .seconds(2))
            throw error
        }
    }

    private static func waitUntilReady(_ child: ChildProcess, server: BenchServer, chosenPort: Int) async throws -> Int
    {
        let deadline = ContinuousClock.now + startTimeout
        while ContinuousClock.now < deadline {
            switch server.kind.readiness {
            case .announcement:
                if let port = announcedPort(in: child.output.lines) { return port }
            case .acceptsConnection:
                if Loopback.acceptsConnection(port: chosenPort) { return chosenPort }
            case .answersDatagram:
                if Loopback.answersDatagram(port: chosenPort) { return chosenPort }
            }
            if let status = child.exitStatus {
                throw RunnerError.serverFailedToStart(
                    name: server.name,
                    reason: "it exited with status \(status)",
                    log: log(of: child)
                )
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw RunnerError.serverFailedToStart(
            name: server.name,
            reason: "not ready within \(startTimeout)",
            log: log(of: child)
        )
    }

    /// The port of the first `listening on HOST:PORT` line.
    static func announcedPort(in lines: [String]) -> Int? {
        for line in lines where line.hasPrefix("listening on ") {
            guard let colon = line.lastIndex(of: ":"), let port = Int(line[line.index(after: colon)...]),
                (1...65535).contains(port)
            else { continue }
            return port
        }
        return nil
    }

    /// The server's last lines of stdout and stderr.
    static func log(of child: ChildProcess) -> String {
        ([child.output.tail(5), child.errorOutput?.tail(10) ?? ""]).filter { !$0.isEmpty }.joined(separator: "\n")
    }

    /// CPU time the server used so far, in microseconds.
    var cpuMicroseconds: Double? { ProcessCPUTime.microseconds(of: child.pid) }

    /// Throws ``RunnerError/serverDied`` when the server is no longer running.
    func checkAlive() throws {
        if let status = child.exitStatus {
            throw RunnerError.serverDied(name: server.name, status: status, log: Self.log(of: child))
        }
    }

    /// Stops the server: SIGTERM, then SIGKILL after a few seconds.
    func stop() async {
        await child.terminate(timeout: .seconds(5))
    }
}
