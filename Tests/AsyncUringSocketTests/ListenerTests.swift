import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import Glibc
import SystemPackage
import Testing

extension SocketTests {
    @Suite struct ListenerTests {
        @Test func portInUse() async throws {
            try await withLeakCheck {
                let first = try TCPListener.bind(port: 0)
                let port = try #require(first.localAddress.port)
                let error = #expect(throws: SocketError.self) { try TCPListener.bind(port: port) }
                #expect(error?.errno == .addressInUse)
                #expect(error?.operation == .bind)
                await first.close()
            }
        }

        @Test func reusePortLetsTwoListenersShareAPort() async throws {
            try await withLeakCheck {
                let first = try TCPListener.bind(port: 0, reusePort: true)
                let port = try #require(first.localAddress.port)
                let second = try TCPListener.bind(port: port, reusePort: true)
                #expect(second.localAddress == first.localAddress)
                await first.close()
                await second.close()
            }
        }

        @Test func ephemeralPortIsReported() async throws {
            try await withLeakCheck {
                let listener = try TCPListener.bind(host: "::1", port: 0)
                #expect(listener.localAddress.family == .ipv6)
                #expect((listener.localAddress.port ?? 0) > 0)
                let (client, server) = try await connectAndAccept(listener)
                #expect(try server.remoteAddress == client.localAddress)
                try await client.close()
                try await server.close()
                await listener.close()
            }
        }

        @Test func connectionsSequenceAcceptsAgainAfterTheKernelEndsMultishotAccept() async throws {
            try await withLeakCheck {
                let listener = try TCPListener.bind(port: 0)
                var iterator = listener.connections.makeAsyncIterator()
                let first = try await TCPConnection.connect(to: listener.localAddress)
                let acceptedFirst = try #require(try await iterator.next())
                try await listener._testOnlyEndMultishotAccept()
                try await Task.sleep(for: .milliseconds(20))
                let second = try await TCPConnection.connect(to: listener.localAddress)
                let acceptedSecond = try #require(try await iterator.next())
                try await second.send("second")
                #expect(try await receiveExactly(6, from: acceptedSecond) == Array("second".utf8))
                for connection in [first, second, acceptedFirst, acceptedSecond] { try await connection.close() }
                await listener.close()
            }
        }

        @Test func closingTheListenerEndsIterationAndAPendingAccept() async throws {
            try await withLeakCheck {
                let listener = try TCPListener.bind(port: 0)
                let iterating = Task { () -> Int in
                    var count = 0
                    for try await connection in listener.connections {
                        count += 1
                        try await connection.close()
                    }
                    return count
                }
                let client = try await TCPConnection.connect(to: listener.localAddress)
                try await Task.sleep(for: .milliseconds(50))
                await listener.close()
                #expect(try await iterating.value == 1)
                let error = await #expect(throws: SocketError.self) { try await listener.accept() }
                #expect(error?.errno == .badFileDescriptor)
                try await client.close()
            }
        }

        @Test func unixDomainSocket() async throws {
            try await withLeakCheck {
                let path = "/tmp/async-uring-test-\(UInt32.random(in: 0...UInt32.max)).sock"
                let address = try SocketAddress(unixPath: path)
                let listener = try TCPListener.bind(to: address)
                async let accepted = listener.accept()
                let client = try await TCPConnection.connect(to: address)
                let server = try await accepted
                try await client.send("over unix")
                #expect(try await receiveExactly(9, from: server) == Array("over unix".utf8))
                try await client.close()
                try await server.close()
                await listener.close()
                unlink(path)
            }
        }

        @Test func gracefulShutdownLetsHandlersFinish() async throws {
            try await withLeakCheck {
                let listener = try TCPListener.bind(port: 0)
                let server = TCPServer(listener: listener, gracePeriod: .seconds(5)) { connection in
                    // Answer once, after a pause, then close.
                    _ = try await connection.receive(maxBytes: 100)
                    try await Task.sleep(for: .milliseconds(100))
                    try await connection.send("bye")
                }
                let running = Task { try await server.run() }
                let client = try await TCPConnection.connect(to: listener.localAddress)
                try await client.send("hi")
                try await Task.sleep(for: .milliseconds(20))
                server.triggerGracefulShutdown()
                #expect(try await receiveExactly(3, from: client) == Array("bye".utf8))
                try await running.value
                #expect(server.openConnections == 0)
                await #expect(throws: SocketError.self) { try await TCPConnection.connect(to: listener.localAddress) }
                try await client.close()
            }
        }

        @Test func gracePeriodExpiryCancelsHandlers() async throws {
            try await withLeakCheck {
                let listener = try TCPListener.bind(port: 0)
                let server = TCPServer(listener: listener, gracePeriod: .milliseconds(100)) { connection in
                    while try await connection.receive(maxBytes: 100) != nil {}
                }
                let running = Task { try await server.run() }
                let client = try await TCPConnection.connect(to: listener.localAddress)
                try await Task.sleep(for: .milliseconds(20))
                #expect(server.openConnections == 1)
                server.triggerGracefulShutdown()
                try await running.value
                #expect(server.openConnections == 0)
                #expect(try await client.receive(maxBytes: 10) == nil)
                try await client.close()
            }
        }
    }
}
