import Foundation

/// A started HTTP server, ready for load.
struct HTTPRunningServer: Sendable {
    static let startTimeout: Duration = .seconds(10)

    let server: HTTPBenchServer
    let child: ChildProcess
    let port: Int

    /// Starts `server` pinned to the server CPU and waits (at most ``startTimeout``) until it
    /// accepts connections: the announcing servers print `listening on HOST:PORT`; nginx gets
    /// a configuration in `workDirectory/nginx` with a free port, which is polled.
    /// - Throws: ``RunnerError/serverFailedToStart`` when it exits first or is not ready in
    ///   time; the process is stopped then.
    static func start(
        _ server: HTTPBenchServer,
        pinning: CPUPinning,
        workDirectory: String
    ) async throws
        -> HTTPRunningServer
    {
        var arguments = server.kind.announcingArguments
        var chosenPort: Int?
        if server.kind == .nginx {
            let configuration = try writeNginxConfiguration(in: "\(workDirectory)/nginx", name: server.name)
            arguments = configuration.arguments
            chosenPort = configuration.port
        }
        let (executable, pinnedArguments) = pinning.command(server.executable, arguments, cpu: pinning.serverCPU)
        let child = try ChildProcess.launch(
            name: server.name,
            executable: executable,
            arguments: pinnedArguments,
            capturesStandardError: true
        )
        let running: HTTPRunningServer
        do {
            let port = try await waitUntilReady(child, name: server.name, chosenPort: chosenPort)
            running = HTTPRunningServer(server: server, child: child, port: port)
        } catch {
            await child.terminate(timeout: .seconds(2))
            throw error
        }
        return running
    }

    /// Writes a fresh nginx configuration, with a port free right now, into `directory`
    /// (emptied first: the previous nginx run has stopped).
    private static func writeNginxConfiguration(in directory: String, name: String) throws -> NginxConfiguration {
        guard let port = Loopback.freePort() else {
            throw RunnerError.serverFailedToStart(name: name, reason: "no free port on 127.0.0.1", log: "")
        }
        let configuration = NginxConfiguration(directory: directory, port: port)
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try configuration.render().write(toFile: configuration.path, atomically: true, encoding: .utf8)
        return configuration
    }

    private static func waitUntilReady(_ child: ChildProcess, name: String, chosenPort: Int?) async throws -> Int {
        let deadline = ContinuousClock.now + startTimeout
        while ContinuousClock.now < deadline {
            if let chosenPort {
                if Loopback.acceptsConnection(port: chosenPort) { return chosenPort }
            } else if let port = RunningServer.announcedPort(in: child.output.lines) {
                return port
            }
            if let status = child.exitStatus {
                throw RunnerError.serverFailedToStart(
                    name: name,
                    reason: "it exited with status \(status)",
                    log: RunningServer.log(of: child)
                )
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw RunnerError.serverFailedToStart(
            name: name,
            reason: "not accepting connections within \(startTimeout)",
            log: RunningServer.log(of: child)
        )
    }

    /// CPU time the server used so far, all its processes together (nginx's master and
    /// worker), in microseconds.
    var cpuMicroseconds: Double? { ProcessCPUTime.treeMicroseconds(of: child.pid) }

    /// Throws ``RunnerError/serverDied`` when the server is no longer running.
    func checkAlive() throws {
        if let status = child.exitStatus {
            throw RunnerError.serverDied(name: server.name, status: status, log: RunningServer.log(of: child))
        }
    }

    /// Stops the server: SIGTERM, then SIGKILL after a few seconds. A process the server
    /// started (nginx's worker) that outlives it, as after a SIGKILL of nginx's master, is
    /// killed by its PID, when that PID still names the same process.
    func stop() async {
        let descendants = ProcessCPUTime.descendants(of: child.pid).compactMap(ProcessIdentity.init(pid:))
        await child.terminate(timeout: .seconds(5))
        for process in descendants where process.isAlive {
            _ = kill(process.pid, SIGKILL)
        }
    }
}

/// A process by PID and start time, so that a PID reused by another process is told apart.
struct ProcessIdentity: Equatable, Sendable {
    var pid: Int32
    /// Field 22 of `/proc/PID/stat`: clock ticks after boot when the process started.
    var startTime: UInt64

    /// The process `pid` names now, or nil when there is none.
    init?(pid: Int32) {
        guard let startTime = Self.startTime(of: pid) else { return nil }
        self.pid = pid
        self.startTime = startTime
    }

    /// Whether the same process still exists (it may be a zombie).
    var isAlive: Bool { Self.startTime(of: pid) == startTime }

    private static func startTime(of pid: Int32) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the comm field: state is field 3, so field 22 is at index 19.
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }
}
