import ArgumentParser
import AsyncUringSocket
import Glibc
import Logging
import ServiceLifecycle

/// A line-based chat server: every line a client sends goes to every other client, on
/// whichever ring serves it. Each connection's handler reads lines with a ``BufferedReader``
/// and drains the connection's outbox in a child task, both on the connection's ring.
///
/// ```
/// example-chat [--host HOST] [--port PORT] [--rings N] [--grace-period-seconds S]
/// ```
///
/// Try it with two or more `nc 127.0.0.1 9000`. Prints `listening on HOST:PORT` once it
/// accepts; SIGINT or SIGTERM tells every client the server is shutting down, closes their
/// connections and exits 0. A client that sends a line longer than `--max-line-length` is
/// told so and disconnected; one that reads so slowly that `--outbox-limit` lines wait for
/// it is disconnected.
@main
struct ChatServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "example-chat",
        abstract: "A line-based chat server: each line goes to every other client."
    )

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0: any free port).")
    var port = 9000

    @Option(help: "How many rings serve connections (default: one per CPU).")
    var rings: Int?

    @Option(name: .customLong("grace-period-seconds"), help: "How long handlers may take to end at shutdown.")
    var gracePeriodSeconds = 5

    @Option(help: "The longest line a client may send, in bytes.")
    var maxLineLength = 4096

    @Option(help: "The most lines waiting for one client before it is dropped as too slow.")
    var outboxLimit = 1024

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        if let rings, rings < 1 { throw ValidationError("--rings must be at least 1") }
        guard gracePeriodSeconds >= 0 else { throw ValidationError("--grace-period-seconds must not be negative") }
        guard maxLineLength > 0, outboxLimit > 0 else {
            throw ValidationError("--max-line-length and --outbox-limit must be positive")
        }
    }

    func run() async throws {
        let logger = Logger(label: "example-chat")
        let group = try rings.map { try RingGroup(numberOfRings: $0, logger: logger) } ?? RingGroup(logger: logger)
        let listener = try TCPListener.bind(host: host, port: port, group: group, logger: logger)
        let room = ChatRoom(outboxLimit: outboxLimit)
        let server = TCPServer(listener: listener, gracePeriod: .seconds(gracePeriodSeconds), logger: logger) {
            [maxLineLength] connection in
            try await Self.serve(connection, in: room, maxLineLength: maxLineLength)
        }
        // Services shut down in reverse order: the server drains first, then the rings stop.
        let services = ServiceGroup(
            services: [RingGroupService(group), server],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        print("listening on \(listener.localAddress)")
        fflush(nil)
        try await services.run()
    }

    /// How one of a connection's tasks ended.
    private enum Ending {
        /// The client sent its end of stream.
        case clientDone
        /// The client sent a line longer than the limit.
        case lineTooLong
        /// The outbox ended: the member left, or the room closed.
        case outboxEnded
        /// The member left the room: by itself, or dropped as too slow.
        case removed
    }

    /// Serves one client until it leaves, is too slow, or the room closes.
    static func serve(_ connection: TCPConnection, in room: ChatRoom, maxLineLength: Int) async throws {
        guard let membership = room.join(name: "\(try connection.remoteAddress)") else { return }
        defer { room.leave(membership.id) }
        try await withGracefulShutdownHandler {
            let ending = try await withThrowingTaskGroup(of: Ending.self) { tasks in
                tasks.addTask {
                    for await line in membership.outbox { try await connection.send(line) }
                    return .outboxEnded
                }
                tasks.addTask {
                    for await _ in membership.removal {}
                    return .removed
                }
                tasks.addTask {
                    try await readLines(from: connection, maxLineLength: maxLineLength) { line in
                        room.broadcast(line, from: membership.id)
                    }
                }
                let first = try await tasks.next() ?? .outboxEnded
                if first == .clientDone {
                    // The lines already in the outbox still go out before the connection closes.
                    room.leave(membership.id)
                    try await tasks.waitForAll()
                } else {
                    // Too long a line, dropped as too slow (its writer may wait for room that
                    // never comes), or the room closed: stop both directions.
                    tasks.cancelAll()
                }
                return first
            }
            if ending == .lineTooLong {
                try await connection.send("* line longer than \(maxLineLength) bytes, closing\n")
            }
            if ending != .removed { try await connection.flush() }
        } onGracefulShutdown: {
            room.close()
        }
    }

    /// Reads lines (ended by LF or CRLF) and passes each non-empty one to `body`.
    private static func readLines(
        from connection: TCPConnection,
        maxLineLength: Int,
        _ body: (String) -> Void
    ) async throws -> Ending {
        var reader = connection.reader(maxBufferSize: maxLineLength + 2)
        do {
            while var line = try await reader.read(until: UInt8(ascii: "\n"), maxLength: maxLineLength + 1) {
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                guard line.count <= maxLineLength else { return .lineTooLong }
                if !line.isEmpty { body(String(decoding: line, as: UTF8.self)) }
            }
            return .clientDone
        } catch let error as SocketError where error.errno == .messageTooLong {
            return .lineTooLong
        }
    }
}
