import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import Glibc
import Logging
import Synchronization
import Testing

extension SocketTests {
    /// `TCPServer(maxConnections:)`: at the limit the server stops accepting, and accepts
    /// again once a connection ends.
    @Suite struct ServerLimitTests {
        @Test func atTheLimitAcceptingPausesAndResumesWhenAConnectionEnds() async throws {
            try await withLeakCheck {
                let log = LogRecorder()
                let (server, running) = try runEchoServer(maxConnections: 2, logger: log.logger)
                let address = server.listener.localAddress
                let first = try await echoingConnection(to: address)
                let second = try await echoingConnection(to: address)
                #expect(server.openConnections == 2)

                // Beyond the limit: the kernel completes the connects into the listen backlog,
                // but the server accepts none of them (no echo, and no end of stream either).
                var waiting: [TCPConnection] = []
                for index in 0..<3 {
                    let connection = try await TCPConnection.connect(to: address, timeout: .seconds(5))
                    try await connection.send("waiting \(index)")
                    waiting.append(connection)
                }
                let notServed = await #expect(throws: SocketError.self) {
                    try await waiting[0].receive(maxBytes: 16, timeout: .milliseconds(200))
                }
                #expect(notServed?.errno == .timedOut)
                #expect(server.openConnections == 2)
                try await first.send("first")
                #expect(try await receiveExactly(5, from: first, timeout: .seconds(5)) == Array("first".utf8))
                #expect(log.messages(at: .warning).filter { $0.contains("accepting paused") }.count == 1)

                // A connection ends: the oldest waiting one is accepted, and its bytes echoed.
                try await second.close()
                #expect(try await receiveExactly(9, from: waiting[0], timeout: .seconds(5)) == Array("waiting 0".utf8))
                #expect(log.messages(at: .notice).contains { $0.contains("accepting resumed") })
                #expect(server.openConnections == 2)

                // The rest, once the others end.
                try await first.close()
                try await waiting[0].close()
                for (index, connection) in waiting.enumerated().dropFirst() {
                    let expected = Array("waiting \(index)".utf8)
                    #expect(try await receiveExactly(9, from: connection, timeout: .seconds(5)) == expected)
                    try await connection.close()
                }
                // Pauses soon after a logged one are logged at debug level only.
                #expect(log.messages(at: .warning).filter { $0.contains("accepting paused") }.count == 1)
                server.triggerGracefulShutdown()
                try await running.value
            }
        }

        @Test func aLimitOfZeroServesNoConnectionAndShutsDownAtOnce() async throws {
            try await withLeakCheck {
                let handled = Atomic<Int>(0)
                let listener = try TCPListener.bind(port: 0)
                let server = TCPServer(listener: listener, gracePeriod: .seconds(30), maxConnections: 0) { _ in
                    handled.add(1, ordering: .relaxed)
                }
                let running = Task { try await server.run() }
                let client = try await TCPConnection.connect(to: listener.localAddress)
                let error = await #expect(throws: SocketError.self) {
                    try await client.receive(maxBytes: 10, timeout: .milliseconds(200))
                }
                #expect(error?.errno == .timedOut)
                #expect(handled.load(ordering: .relaxed) == 0)
                // Paused with no connection to wait for: shutting down ends the pause at once,
                // without waiting out the grace period.
                let start = ContinuousClock.now
                server.triggerGracefulShutdown()
                try await running.value
                #expect(start.duration(to: .now) < .seconds(5))
                try await client.close()
            }
        }

        @Test func theDefaultLimitLeavesTheDescriptorReserve() async throws {
            let listener = try TCPListener.bind(port: 0)
            let server = TCPServer(listener: listener) { _ in }
            let limit = DescriptorBudget.descriptorLimit()
            let open = try #require(SocketSyscalls.openDescriptorCount())
            // The count follows the descriptors: one more open is one more counted.
            let extra = Glibc.open("/dev/null", O_RDONLY | O_CLOEXEC)
            #expect(SocketSyscalls.openDescriptorCount() == open + 1)
            Glibc.close(extra)
            #expect(server.maxConnections == TCPServer.defaultMaxConnections())
            #expect(
                server.maxConnections == DescriptorBudget.maxConnections(descriptorLimit: limit, openDescriptors: open)
            )
            #expect(server.maxConnections <= limit - open - DescriptorBudget.runtimeReserve)
            #expect(TCPServer(listener: listener, maxConnections: 7) { _ in }.maxConnections == 7)
            await listener.close()
        }

        /// A connection whose echo came back, so the server's handler for it runs.
        private func echoingConnection(to address: SocketAddress) async throws -> TCPConnection {
            let connection = try await TCPConnection.connect(to: address, timeout: .seconds(5))
            try await connection.send("hello")
            #expect(try await receiveExactly(5, from: connection, timeout: .seconds(5)) == Array("hello".utf8))
            return connection
        }
    }
}

/// Keeps what a `Logger` logs, for tests that check what an operator would see.
final class LogRecorder: Sendable {
    struct Entry {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let entries = Locked<[Entry]>([])

    var logger: Logger {
        var logger = Logger(label: "test") { _ in Handler(recorder: self) }
        logger.logLevel = .trace
        return logger
    }

    func messages(at level: Logger.Level) -> [String] {
        records(at: level).map(\.message)
    }

    func records(at level: Logger.Level) -> [Entry] {
        entries.withLock { $0.filter { $0.level == level } }
    }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            let entry = Entry(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" })
            recorder.entries.withLock { $0.append(entry) }
        }
    }
}
