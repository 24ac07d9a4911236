import AsyncUring
import AsyncUringSocket
import Synchronization
import Testing

extension SocketTests {
    /// `TCPServer(maxConnections:)`: a flood cannot take more than the limit.
    @Suite struct ServerLimitTests {
        @Test func connectionsBeyondTheLimitAreClosedAndServedAgainOnceBelowIt() async throws {
            try await withLeakCheck {
                let (server, running) = try runEchoServer(maxConnections: 2)
                let address = server.listener.localAddress
                let first = try await echoingConnection(to: address)
                let second = try await echoingConnection(to: address)
                #expect(server.openConnections == 2)

                // A flood beyond the limit: each is accepted and closed at once, so it reads
                // end of stream; the two served connections go on.
                let flood = try await withThrowingTaskGroup(of: Bool.self) { tasks in
                    for _ in 0..<50 {
                        tasks.addTask {
                            let client = try await TCPConnection.connect(to: address, timeout: .seconds(5))
                            let ended = try await client.receive(maxBytes: 10, timeout: .seconds(5)) == nil
                            try await client.close()
                            return ended
                        }
                    }
                    return try await tasks.reduce(0) { $0 + ($1 ? 1 : 0) }
                }
                #expect(flood == 50)
                #expect(server.openConnections == 2)
                try await first.send("first")
                #expect(try await receiveExactly(5, from: first, timeout: .seconds(5)) == Array("first".utf8))

                // Below the limit again: a new connection is served.
                try await second.close()
                #expect(try await waitUntil { server.openConnections == 1 })
                let third = try await echoingConnection(to: address)
                #expect(server.openConnections == 2)
                try await first.close()
                try await third.close()
                server.triggerGracefulShutdown()
                try await running.value
            }
        }

        @Test func aLimitOfZeroServesNoConnection() async throws {
            try await withLeakCheck {
                let handled = Atomic<Int>(0)
                let listener = try TCPListener.bind(port: 0)
                let server = TCPServer(listener: listener, maxConnections: 0) { _ in
                    handled.add(1, ordering: .relaxed)
                }
                let running = Task { try await server.run() }
                let client = try await TCPConnection.connect(to: listener.localAddress)
                #expect(try await client.receive(maxBytes: 10, timeout: .seconds(5)) == nil)
                #expect(handled.load(ordering: .relaxed) == 0)
                try await client.close()
                server.triggerGracefulShutdown()
                try await running.value
            }
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
