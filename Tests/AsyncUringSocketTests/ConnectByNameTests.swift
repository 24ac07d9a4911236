import AsyncUringSocket
import AsyncUringTestSupport
import Testing

extension SocketTests {
    @Suite struct ConnectByNameTests {
        @Test func connectsToAHostNameAndPort() async throws {
            try await withLeakCheck {
                let (listener, server) = try startEchoServer()
                defer { server.cancel() }
                let port = try #require(listener.localAddress.port)
                // "localhost" may resolve to ::1 first, where nothing listens: the next address connects.
                for client in [
                    try await TCPConnection.connect(to: "localhost:\(port)", timeout: .seconds(5)),
                    try await TCPConnection.connect(host: "localhost", port: port, timeout: .seconds(5)),
                    try await TCPConnection.connect(to: "127.0.0.1:\(port)"),
                ] {
                    try await client.send("by name")
                    #expect(try await receiveExactly(7, from: client, timeout: .seconds(5)) == Array("by name".utf8))
                    #expect(try client.remoteAddress == listener.localAddress)
                    try await client.close()
                }
                server.cancel()
                _ = try? await server.value
            }
        }

        @Test(arguments: ["localhost", "localhost:", "localhost:http", "localhost:123456", "[::1:80"])
        func malformedEndpointThrowsAParseError(endpoint: String) async throws {
            let error = await #expect(throws: SocketError.self) { try await TCPConnection.connect(to: endpoint) }
            #expect(error?.operation == .parseAddress)
            #expect(error?.errno == .invalidArgument)
        }

        @Test func unknownHostThrowsAResolveErrorNamingIt() async throws {
            let error = await #expect(throws: SocketError.self) {
                try await TCPConnection.connect(to: "no-such-host.invalid:80")
            }
            #expect(error?.operation == .resolve)
            #expect(error?.detail?.contains("no-such-host.invalid") == true)
        }

        @Test func refusedOnEveryAddressThrowsTheConnectError() async throws {
            // Bound but not listening: every resolved address refuses the connection.
            let listener = try TCPListener.bind(host: "127.0.0.1", port: 0)
            let port = try #require(listener.localAddress.port)
            await listener.close()
            let error = await #expect(throws: SocketError.self) {
                try await TCPConnection.connect(host: "127.0.0.1", port: port)
            }
            #expect(error?.operation == .connect)
            #expect(error?.errno == .connectionRefused)
        }

        @Test func aReceiveTimeoutIsATimeoutAndAResetIsNot() async throws {
            try await withEchoClient { client, _ in
                let error = await #expect(throws: SocketError.self) {
                    try await client.receive(maxBytes: 10, timeout: .milliseconds(50))
                }
                #expect(error?.isTimeout == true)
                #expect(error?.isConnectionReset == false)
            }
            #expect(SocketError(.receive, .connectionReset).isTimeout == false)
        }
    }
}
