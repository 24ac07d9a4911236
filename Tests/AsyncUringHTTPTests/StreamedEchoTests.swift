import AsyncUring
import AsyncUringHTTP
import AsyncUringSocket
import HTTPTypes
import Testing

/// A streamed response whose writer reads the request body: the body must reach the writer,
/// not be skipped as unread when the handler returns.
@Suite("A streamed response reads the request body", .timeLimit(.minutes(1)))
struct StreamedEchoTests {
    @Test("a pipelined body echoed from the writer arrives whole, and the next request is served")
    func pipelinedEcho() async throws {
        let listener = try TCPListener.bind(port: 0)
        let server = HTTPServer(listener: listener) { request in
            guard request.head.method == .post else { return HTTPServerResponse(status: .ok, body: .init("next")) }
            let body = request.body
            return HTTPServerResponse(
                status: .ok,
                body: .stream { writer in
                    for try await part in body { try await writer.write(part) }
                }
            )
        }
        try await withThrowingTaskGroup { group in
            group.addTask { try await server.run() }
            let port = try #require(listener.localAddress.port)
            let connection = try await TCPConnection.connect(to: try SocketAddress(ipv4: "127.0.0.1", port: port))
            try await connection.send(
                "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\npipelined"
                    + "GET /next HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
            )
            var received: [UInt8] = []
            while let bytes = try await connection.receive(timeout: .seconds(10)) { received += bytes }
            let text = String(decoding: received, as: UTF8.self)
            #expect(text.contains("\r\n\r\n9\r\npipelined\r\n0\r\n\r\n"))
            #expect(text.hasSuffix("\r\n\r\nnext"))
            try await connection.close()
            server.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }
}
