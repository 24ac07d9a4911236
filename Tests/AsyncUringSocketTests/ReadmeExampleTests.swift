import AsyncUringSocket
import AsyncUringTestSupport
import Testing

extension SocketTests {
    @Suite struct ReadmeExampleTests {
        /// The README's echo server, on an ephemeral port, with a client.
        @Test func echoServerFromTheReadme() async throws {
            try await withLeakCheck {
                let listener = try TCPListener.bind(host: "127.0.0.1", port: 0)
                let server = TCPServer(listener: listener) { connection in
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    while let count = try await connection.receive(into: &buffer) {
                        try await connection.send(buffer[..<count])
                    }
                }
                let running = Task { try await server.run() }
                let connection = try await TCPConnection.connect(
                    to: SocketAddress("127.0.0.1:\(listener.localAddress.port!)")
                )
                try await connection.send("ping")
                #expect(try await connection.receive(maxBytes: 4) == Array("ping".utf8))
                try await connection.close()
                server.triggerGracefulShutdown()
                try await running.value
            }
        }
    }
}
