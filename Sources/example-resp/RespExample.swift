import ArgumentParser
import AsyncUring
import AsyncUringSocket
import Glibc
import Logging
import ServiceLifecycle

/// A server of a RESP (Redis protocol) subset: PING, ECHO, SET and GET, enough of COMMAND
/// and CONFIG for redis-benchmark, inline and multibulk requests, pipelined.
///
/// Built on ``BufferedReader`` and a ``FrameDecoder``: the replies to every request of one
/// receive go out in one send. Bytes that are not RESP get `-ERR Protocol error: ...` and the
/// connection is closed. The store is one dictionary shared by every ring (``RespStore``).
///
/// Prints `listening on HOST:PORT` once accepting; SIGINT or SIGTERM stop it gracefully
/// (connections get the grace period), and it exits 0.
@main
struct RespExample: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "example-resp",
        abstract: "A RESP server (PING, ECHO, SET, GET) on AsyncUringSocket."
    )

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on; 0 lets the kernel pick one.")
    var port = 6379

    @Option(help: "The number of rings (default: the CPUs this process may run on).")
    var rings: Int?

    @Option(help: "Seconds connections may run on after SIGINT or SIGTERM.")
    var gracePeriodSeconds = 10

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535, not \(port)") }
        if let rings, rings < 1 { throw ValidationError("--rings must be at least 1, not \(rings)") }
        guard gracePeriodSeconds >= 0 else { throw ValidationError("--grace-period-seconds must not be negative") }
    }

    func run() async throws {
        let logger = Logger(label: "example-resp")
        let group = try RingGroup(numberOfRings: rings ?? RingGroup.availableCPUCount, logger: logger)
        let store = RespStore()
        let listener: TCPListener
        do {
            listener = try TCPListener.bind(host: host, port: port, group: group, logger: logger)
        } catch {
            await group.shutdown()
            throw error
        }
        let server = TCPServer(listener: listener, gracePeriod: .seconds(gracePeriodSeconds), logger: logger) {
            connection in
            try await Self.serve(connection, store: store)
        }
        // Services shut down in reverse order: the server drains first, then the rings stop.
        let services = ServiceGroup(
            services: [RingGroupService(group), server],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        Self.announce("listening on \(listener.localAddress)")
        try await services.run()
    }

    /// Answers one connection's requests until it ends. The replies to what one receive
    /// brought are collected while the reader has whole requests buffered, and sent in one
    /// go when the decoder needs more bytes.
    static func serve(_ connection: TCPConnection, store: RespStore) async throws {
        var reader = connection.reader(maxBufferSize: RespDecoder.maxBufferSize)
        var decoder = RespDecoder()
        var replies: [UInt8] = []
        do {
            repeat {
                while let command = try reader.decodeBuffered(using: &decoder) {
                    store.execute(command, into: &replies)
                }
                if !replies.isEmpty {
                    try await connection.send(replies)
                    replies = []
                }
            } while try await reader.fill()
        } catch let error as RespProtocolError {
            try await fail(connection, replies: replies, message: "Protocol error: \(error.message)")
        } catch let error as SocketError where error.errno == .messageTooLong {
            try await fail(connection, replies: replies, message: "Protocol error: request too large")
        }
    }

    /// Sends the replies so far and an error, and waits until the kernel took them; the
    /// server then closes the connection.
    private static func fail(_ connection: TCPConnection, replies: [UInt8], message: String) async throws {
        var replies = replies
        replies.appendError(message)
        try await connection.send(replies)
        try await connection.flush(timeout: .seconds(5))
    }

    /// Prints one line and flushes it at once: stdout is often a pipe.
    static func announce(_ line: String) {
        print(line)
        fflush(nil)
    }
}
