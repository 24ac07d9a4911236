import AsyncUringHTTP
import AsyncUringTestSupport
import Testing

@Suite struct ReadmeHTTPExampleTests {
    /// The README's HTTP server, on an ephemeral port; this file imports AsyncUringHTTP only
    /// (and the test support), as the README's example does.
    @Test func httpServerFromTheReadme() async throws {
        try await withLeakCheck {
            let server = HTTPServer(listener: try TCPListener.bind(host: "127.0.0.1", port: 0)) { request in
                switch (request.head.method, request.head.path) {
                case (.get, "/hello"):
                    return HTTPServerResponse(
                        status: .ok,
                        headerFields: [.contentType: "text/plain"],
                        body: HTTPResponseBody("Hello, World!")
                    )
                case (.post, "/echo"):
                    let body = try await request.body.collect(upTo: 1 << 20)
                    return HTTPServerResponse(status: .ok, body: HTTPResponseBody(bytes: body))
                default:
                    return HTTPServerResponse(status: .notFound)
                }
            }
            let running = Task { try await server.run() }
            var client = try await RawHTTPClient(connectingTo: server)
            try await client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try await client.readResponse().text == "Hello, World!")
            try await client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nping")
            #expect(try await client.readResponse().text == "ping")
            try await client.close()
            server.triggerGracefulShutdown()
            try await running.value
        }
    }
}
