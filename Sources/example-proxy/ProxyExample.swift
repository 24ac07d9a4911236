import ArgumentParser
import AsyncUring
import AsyncUringSocket
import Glibc
import Logging
import ServiceLifecycle

/// A TCP proxy: every connection accepted is forwarded to the upstream, both ways, with
/// ``copyBidirectionally(_:_:)``; end of stream travels as a half-close, a reset on either
/// side ends both. A `ServiceGroup` runs the server and its rings; SIGTERM or SIGINT stop it
/// gracefully (connections in flight may finish within the grace period), then it exits 0.
///
/// ```
/// example-proxy --upstream HOST:PORT [--host HOST] [--port PORT] [--rings N]
///               [--grace-period-seconds SECONDS] [--connect-timeout-seconds SECONDS]
/// ```
///
/// Prints `listening on HOST:PORT` once accepting and `stopped` when the group has ended.
/// A client whose upstream connection fails is closed, and the failure is logged with the
/// client's address.
@main
struct ProxyExample: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "example-proxy",
        abstract: "Forward every TCP connection to an upstream, both ways, until SIGINT or SIGTERM."
    )

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on; 0 lets the kernel pick one.")
    var port = 8080

    @Option(help: "Where to forward connections: HOST:PORT, the host a name or an IP literal.")
    var upstream: String

    @Option(help: "The number of rings.")
    var rings = 1

    @Option(help: "Seconds connections may run on after SIGINT or SIGTERM.")
    var gracePeriodSeconds = 10

    @Option(help: "Seconds a connection to the upstream may take.")
    var connectTimeoutSeconds = 10

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535, not \(port)") }
        guard (1...1024).contains(rings) else { throw ValidationError("--rings must be in 1...1024, not \(rings)") }
        guard gracePeriodSeconds >= 0 else { throw ValidationError("--grace-period-seconds must not be negative") }
        guard connectTimeoutSeconds > 0 else { throw ValidationError("--connect-timeout-seconds must be positive") }
        // Only the shape is checked here: the name is resolved per connection.
        guard let colon = upstream.lastIndex(of: ":"), Int(upstream[upstream.index(after: colon)...]) != nil else {
            throw ValidationError("--upstream must be HOST:PORT, not '\(upstream)'")
        }
    }

    func run() async throws {
        let logger = Logger(label: "example-proxy")
        let group = try RingGroup(numberOfRings: rings)
        let listener = try TCPListener.bind(host: host, port: port, group: group, logger: logger)
        let server = TCPServer(listener: listener, gracePeriod: .seconds(gracePeriodSeconds), logger: logger) {
            [upstream, connectTimeoutSeconds] client in
            try await Self.forward(client, to: upstream, connectTimeout: .seconds(connectTimeoutSeconds))
        }
        // Services shut down in reverse order: the server drains first, then the rings stop.
        let services = ServiceGroup(
            services: [RingGroupService(group), server],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        Self.announce("listening on \(listener.localAddress)")
        try await services.run()
        Self.announce("stopped")
    }

    /// Connects to `upstream` on the client's ring, so the received buffers are forwarded
    /// without a hop, and copies both ways until both directions ended. Throws what ended
    /// the copy, or the failed connect; the server then logs it with the client's address
    /// and closes the client.
    static func forward(_ client: TCPConnection, to upstream: String, connectTimeout: Duration) async throws {
        let connection: TCPConnection
        do {
            connection = try await TCPConnection.connect(to: upstream, timeout: connectTimeout, ring: client.ring)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw UpstreamConnectFailed(upstream: upstream, error: error)
        }
        let copy = await copyBidirectionally(client, connection)
        try? await connection.close()
        if let error = copy.error { throw error }
    }

    /// Prints one line and flushes it at once: stdout is often a pipe.
    static func announce(_ line: String) {
        print(line)
        fflush(nil)
    }
}

/// The upstream did not take the connection.
struct UpstreamConnectFailed: Error, CustomStringConvertible {
    var upstream: String
    var error: any Error

    var description: String { "connecting to upstream \(upstream) failed: \(error)" }
}
