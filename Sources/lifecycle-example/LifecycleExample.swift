import AsyncUring
import AsyncUringSocket
import Glibc
import Logging
import ServiceLifecycle

/// An echo server run by swift-service-lifecycle: a `ServiceGroup` runs the server and its
/// rings, and SIGTERM or SIGINT shut it down gracefully. The listener closes at once,
/// connections in flight may finish within the grace period, then the rings stop and the
/// process exits 0.
///
/// ```
/// lifecycle-example [--port PORT] [--grace-period-seconds SECONDS]
/// ```
///
/// Prints `listening on HOST:PORT` once bound and `stopped` when the group has ended.
@main
struct LifecycleExample {
    static func main() async throws {
        let options = try Options(CommandLine.arguments.dropFirst())
        let logger = Logger(label: "lifecycle-example")
        let rings = try RingGroup(numberOfRings: options.rings)
        let listener = try TCPListener.bind(host: options.host, port: options.port, group: rings, logger: logger)
        let server = TCPServer(listener: listener, gracePeriod: options.gracePeriod, logger: logger) { connection in
            var buffer = [UInt8](repeating: 0, count: 16384)
            while let count = try await connection.receive(into: &buffer) {
                try await connection.send(buffer[..<count])
            }
        }
        // Services shut down in reverse order: the server drains first, then the rings stop.
        let services = ServiceGroup(
            services: [RingGroupService(rings), server],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        announce("listening on \(listener.localAddress)")
        try await services.run()
        announce("stopped")
    }

    /// Prints one line and flushes it at once: stdout is often a pipe.
    static func announce(_ line: String) {
        print(line)
        fflush(nil)
    }
}

/// The command line: `--host`, `--port`, `--rings`, `--grace-period-seconds`.
struct Options {
    var host = "127.0.0.1"
    var port = 8080
    var rings = 1
    var gracePeriod = Duration.seconds(10)

    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    init(_ arguments: some Sequence<String>) throws {
        var iterator = arguments.makeIterator()
        while let name = iterator.next() {
            guard let value = iterator.next() else { throw UsageError(description: "\(name) needs a value") }
            switch name {
            case "--host": host = value
            case "--port": port = try Self.number(value, for: name, in: 0...65535)
            case "--rings": rings = try Self.number(value, for: name, in: 1...1024)
            case "--grace-period-seconds": gracePeriod = .seconds(try Self.number(value, for: name, in: 0...3600))
            default: throw UsageError(description: "unknown option \(name)")
            }
        }
    }

    private static func number(_ text: String, for name: String, in range: ClosedRange<Int>) throws -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw UsageError(description: "\(name) must be a number in \(range), not '\(text)'")
        }
        return value
    }
}
