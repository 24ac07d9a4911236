import ArgumentParser
import AsyncUring
import AsyncUringSocket

/// What the server subcommands (`echo-server`, `http-server`) share: where to listen, on how
/// many rings and which driver, how long connections may run on after SIGINT or SIGTERM, and
/// the run itself.
struct ServerOptions: ParsableArguments {
    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on; 0 lets the kernel pick one.")
    var port: Int

    @Option(help: "The number of rings (default: the CPUs this process may run on).")
    var rings: Int?

    @Option(help: "The rings' driver: io_uring or epoll (default: automatic, see ASYNC_URING_DRIVER).")
    var driver: RingDriver?

    @Option(help: "Milliseconds connections may run on after SIGINT or SIGTERM.")
    var gracePeriodMilliseconds = 500

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535, not \(port)") }
        if let rings, rings < 1 { throw ValidationError("--rings must be at least 1, not \(rings)") }
        guard gracePeriodMilliseconds >= 0 else {
            throw ValidationError("--grace-period-milliseconds must not be negative")
        }
    }

    var gracePeriod: Duration { .milliseconds(gracePeriodMilliseconds) }

    /// Starts the rings, prints `driver: NAME` (the driver they run on), binds the listener,
    /// makes the server, prints `listening on HOST:PORT`, and serves until SIGINT or SIGTERM;
    /// then shuts the server down gracefully and stops the rings.
    ///
    /// - Parameter makeServer: the server on the listener, as the function that runs it and
    ///   the one that begins its graceful shutdown.
    func serve(
        _ makeServer: (TCPListener) -> (run: @Sendable () async throws -> Void, shutdown: @Sendable () -> Void)
    ) async throws {
        let signals = await TerminationSignals()
        raiseDescriptorLimit()
        let group = try RingGroup(
            numberOfRings: rings ?? RingGroup.availableCPUCount,
            configuration: RingConfiguration(driver: driver)
        )
        do {
            // The rings of a group share one driver: the configured one, or the process's
            // automatic choice.
            let running = group.rings[0].driver
            announce("driver: \(running.description(fallbackReason: running.fallbackReasonDescription))")
            let listener = try TCPListener.bind(host: host, port: port, group: group)
            let server = makeServer(listener)
            announce("listening on \(listener.localAddress)")
            try await uring_bench.serve(server.run, shutdown: server.shutdown, until: signals)
        } catch {
            await group.shutdown()
            throw error
        }
        await group.shutdown()
    }
}

/// Runs a server until a termination signal, then shuts it down gracefully.
private func serve(
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
