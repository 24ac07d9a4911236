import AsyncUringHTTP
import AsyncUringSocket
import AsyncUringTestSupport
import Testing

/// Peers that vanish at every stage of a request: the server ends each connection, leaks no
/// descriptor, and serves the next peer.
@Suite(.timeLimit(.minutes(1))) struct HTTPHostilePeerTests {
    enum Vanish: String, CaseIterable, Sendable {
        case connectAndClose
        case partialHeadThenReset
        case partialHeadThenClose
        case partialBodyThenReset
        case partialChunkedBodyThenClose
        case pipelinedFloodUnread
        case resetDuringStreamedResponse
    }

    @Test(arguments: Vanish.allCases)
    func serverRecoversFromPeersThat(_ vanish: Vanish) async throws {
        try await withHTTPServer(handler: testHandler) { server in
            try await withThrowingDiscardingTaskGroup { peers in
                for _ in 0..<16 {
                    peers.addTask { try await Self.act(vanish, against: server) }
                }
            }
            for _ in 0..<500 where server.openConnections > 0 {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(server.openConnections == 0, "connections left after \(vanish)")
            var client = try await RawHTTPClient(connectingTo: server)
            try await client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try await client.readResponse().text == "Hello")
            try await client.close()
        }
    }

    static func act(_ vanish: Vanish, against server: HTTPServer) async throws {
        let connection = try await TCPConnection.connect(to: server.localAddress)
        switch vanish {
        case .connectAndClose:
            break
        case .partialHeadThenReset:
            try await connection.send("GET /hello HTTP/1.1\r\nHo")
            try connection.setOption(.resetOnClose)
        case .partialHeadThenClose:
            try await connection.send("GET /hello HTTP/1.1\r\nHost: t\r\n")
        case .partialBodyThenReset:
            try await connection.send("POST /collect HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\nonly ten b")
            try await connection.flush()
            try await Task.sleep(for: .milliseconds(20))
            try connection.setOption(.resetOnClose)
        case .partialChunkedBodyThenClose:
            try await connection.send(
                "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHello\r\n"
            )
            try await connection.flush()
            try await Task.sleep(for: .milliseconds(20))
        case .pipelinedFloodUnread:
            let request = Array("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n".utf8)
            try await connection.send(Array(repeatElement(request, count: 2000).joined()))
            try await connection.flush()
            try connection.setOption(.resetOnClose)
        case .resetDuringStreamedResponse:
            try await connection.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n")
            try await connection.send(pattern(count: 300_000))
            _ = try await connection.receive(maxBytes: 1000)
            try connection.setOption(.resetOnClose)
        }
        try await connection.close()
    }
}
