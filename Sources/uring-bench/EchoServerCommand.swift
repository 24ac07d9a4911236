import ArgumentParser
import AsyncUring
import AsyncUringSocket
import Glibc

/// `uring-bench echo-server`: an echo server on AsyncUringSocket, the server the runner
/// measures. Prints `listening on HOST:PORT` once accepting and serves until SIGINT or
/// SIGTERM, then shuts down gracefully and exits 0.
struct EchoServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-server",
        abstract: "Echo every byte back on each connection, until SIGINT or SIGTERM."
    )

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on; 0 lets the kernel pick one.")
    var port: Int

    @Option(help: "The number of rings (default: the CPUs this process may run on).")
    var rings: Int?

    @Option(help: "Milliseconds handlers may run on after SIGINT or SIGTERM.")
    var gracePeriodMilliseconds = 500

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535, not \(port)") }
        if let rings, rings < 1 { throw ValidationError("--rings must be at least 1, not \(rings)") }
        guard gracePeriodMilliseconds >= 0 else {
            throw ValidationError("--grace-period-milliseconds must not be negative")
        }
    }

    func run() async throws {
        let signals = await TerminationSignals()
        raiseDescriptorLimit()
        let group = try RingGroup(numberOfRings: rings ?? RingGroup.availableCPUCount)
        do {
            let listener = try TCPListener.bind(host: host, port: port, group: group)
            let server = Self.makeServer(listener: listener, gracePeriod: .milliseconds(gracePeriodMilliseconds))
            announce("listening on \(listener.localAddress)")
            try await serve({ try await server.run() }, shutdown: { server.triggerGracefulShutdown() }, until: signals)
        } catch {
            await group.shutdown()
            throw error
        }
        await group.shutdown()
    }

    /// An echo server: each handler echoes until the peer half-closes, then returns (and the
    /// server closes the connection); a reset peer ends its handler with an error. The bytes
    /// go back out of the buffer they were received in, uncopied.
    static func makeServer(listener: TCPListener, gracePeriod: Duration) -> TCPServer {
        TCPServer(listener: listener, gracePeriod: gracePeriod) { connection in
            while let bytes = try await connection.receiveBytes() {
                try await connection.send(bytes)
            }
        }
    }
}

/// Runs a server until a termination signal, then shuts it down gracefully.
func serve(
    _ run: @escaping @Sendable () async throws -> Void,
    shutdown: @escaping @Sendable () -> Void,
    until signals: TerminationSignals
) async throws {
    enum Ended { case server, signal }
    try await withThrowingTaskGroup(of: Ended.self) { tasks in
        tasks.addTask {
            try await run()
            return .server
        }
        tasks.addTask {
            if await signals.wait() != nil { shutdown() }
            return .signal
        }
        // After a signal, run() ends by itself within the grace period; if run() ended
        // first, the signal task is left waiting and is cancelled.
        if try await tasks.next() == .server { tasks.cancelAll() }
        try await tasks.waitForAll()
    }
}

/// Prints one line to stdout and flushes it at once: stdout is a pipe under the runner.
func announce(_ line: String) {
    print(line)
    fflush(nil)
}

/// Raises the soft descriptor limit to the hard one: 500 connections need 500+ descriptors.
func raiseDescriptorLimit() {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}
