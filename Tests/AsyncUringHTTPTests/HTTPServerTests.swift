import AsyncUringHTTP
import AsyncUringSocket
import AsyncUringTestSupport
import HTTPTypes
import Testing

@Suite(.timeLimit(.minutes(1))) struct HTTPServerTests {
    @Test func answersAGetWithLengthAndDate() async throws {
        try await withHTTPServer(handler: testHandler) { server in
            var client = try await RawHTTPClient(connectingTo: server)
            try await client.send("GET /hello HTTP/1.1\r\nHost: test\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "Hello")
            #expect(response.field("content-length") == "5")
            #expect(response.field("content-type") == "text/plain")
            #expect(response.field("date")?.hasSuffix(" GMT") == true)
            #expect(response.field("connection") == nil)
            try await client.close()
        }
    }

    @Test func servesManyRequestsOnOneConnection() async throws {
        try await withHTTPServer(handler: testHandler) { server in
            var client = try await RawHTTPClient(connectingTo: server)
            for _ in 0..<50 {
                try await client.send("GET /hello HTTP/1.1\r\nHost: test\r\n\r\n")
                #expect(try await client.readResponse().text == "Hello")
            }
            try await client.close()
        }
    }

    @Test func answersPipelinedRequestsInOrder() async throws {
        try await withHTTPServer(handler: testHandler) { server in
            var client = try await RawHTTPClient(connectingTo: server)
            var requests = ""
            for index in 0..<32 {
                requests +=
                    index % 2 == 0
                    ? "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n" : "GET /missing HTTP/1.1\r\nHost: t\r\n\r\n"
            }
            requests += "POST /collect HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nlast"
            try await client.send(requests)
            for index in 0..<32 {
                #expect(try await client.readResponse().status == (index % 2 == 0 ? 200 : 404))
            }
            #expect(try await client.readResponse().text == "last")
            try await client.close()
        }
    }

    @Test func echoesAContentLengthBody() async throws {
        try await withHTTPServer(handler: testHandler) { server in
            var client = try await RawHTTPClient(connectingTo: server)
            let body = pattern(count: 300_000)
            try await client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.count)\r\n\r\n")
            try await client.send(body)
            let response = try await client.readResponse()
            #expect(response.field("transfer-encoding") == "chunked")
            #expect(response.body == body)
            try await client.close()
        }
    }

    @Test func echoesAChunkedBodyWithTrailers() async throws {
        try await withHTTPServer(handler: testHandler) { server in
            var client = try await RawHTTPClient(connectingTo: server)
            try await client.send(
                "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5;name=\"quoted\"\r\nHello\r\n7\r\n, World\r\n0\r\nChecksum: abc\r\n\r\n"
            )
            let response = try await client.readResponse()
            #expect(response.text == "Hello, World")
            #expect(response.trailers.first { $0.name == "checksum" }?.value == "abc")
            try await client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try await client.readResponse().text == "Hello")
            try await client.close()
        }
    }

    @Test func answersHeadWithoutABody() async throws {
        try await withHTTPServer(handler: testHandler) { server in
            var client = try await RawHTTPClient(connectingTo: server)
            try await client.send("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            let head = try await client.readResponse(toHead: true)
            #expect(head.status == 200)
            #expect(head.field("content-length") == "5")
            #expect(try await client.readResponse().text == "Hello")
            try await client.close()
        }
    }

    @Test func sendsContinueWhenTheBodyIsRead() async throws {
        try await withHTTPServer(handler: testHandler) { server in
            var client = try await RawHTTPClient(connectingTo: server)
            try await client.send(
                "POST /collect HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"
            )
            #expect(try await client.readResponse().status == 100)
            try await client.send("body")
            #expect(try await client.readResponse().text == "body")
            try await client.close()
        }
    }

    /// A handler that answers without reading an expected body: no 100, and the connection
    /// closes after the response (the client may or may not send the body).
    @Test func closesWhenAnExpectedBodyIsNotRead() async throws {
        try await withHTTPServer(handler: testHandler) { server in
            var client = try await RawHTTPClient(connectingTo: server)
            try await client.send(
                "POST /missing HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n"
            )
            let response = try await client.readResponse()
            #expect(response.status == 404)
            #expect(response.field("connection") == "close")
            #expect(try await client.isClosedByServer())
            try await client.close()
        }
    }

    @Test func http10ClosesUnlessKeptAlive() async throws {
        try await withHTTPServer(handler: testHandler) { server in
            var client = try await RawHTTPClient(connectingTo: server)
            try await client.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let kept = try await client.readResponse()
            #expect(kept.field("connection") == "keep-alive")
            try await client.send("GET /hello HTTP/1.0\r\n\r\n")
            let last = try await client.readResponse()
            #expect(last.text == "Hello")
            #expect(last.field("connection") == "close")
            #expect(try await client.isClosedByServer())
            try await client.close()
        }
    }

    /// An HTTP/1.0 client gets a stream of unknown length delimited by the close.
    @Test func streamsToHTTP10UntilClose() async throws {
        try await withHTTPServer(handler: testHandler) { server in
            var client = try await RawHTTPClient(connectingTo: server)
            try await client.send("POST /echo HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc")
            let response = try await client.readResponse()
            #expect(response.field("transfer-encoding") == nil)
            #expect(response.text == "abc")
            try await client.close()
        }
    }

    @Test func connectionCloseEndsTheConnection() async throws {
        try await withHTTPServer(handler: testHandler) { server in
            var client = try await RawHTTPClient(connectingTo: server)
            try await client.send("GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.field("connection") == "close")
            #expect(try await client.isClosedByServer())
            try await client.close()
        }
    }

    @Test func streamsAResponseOfKnownLength() async throws {
        let handler: HTTPServer.Handler = { _ in
            HTTPServerResponse(
                status: .ok,
                body: .stream(length: 6) { writer in
                    try await writer.write("abc")
                    try await writer.write("def")
                }
            )
        }
        try await withHTTPServer(handler: handler) { server in
            var client = try await RawHTTPClient(connectingTo: server)
            try await client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.field("content-length") == "6")
            #expect(response.text == "abcdef")
            try await client.close()
        }
    }

    /// A stream that writes fewer bytes than its length cannot be finished: the connection
    /// closes, which tells the client the response is cut.
    @Test func closesWhenAStreamMissesItsLength() async throws {
        let handler: HTTPServer.Handler = { _ in
            HTTPServerResponse(status: .ok, body: .stream(length: 10) { writer in try await writer.write("abc") })
        }
        try await withHTTPServer(handler: handler) { server in
            var client = try await RawHTTPClient(connectingTo: server)
            try await client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            await #expect(throws: SocketError.self) { _ = try await client.readResponse() }
            try await client.close()
        }
    }

    @Test func aThrowingHandlerGets500AndTheConnectionCloses() async throws {
        struct Failure: Error {}
        let handler: HTTPServer.Handler = { _ in throw Failure() }
        try await withHTTPServer(handler: handler) { server in
            var client = try await RawHTTPClient(connectingTo: server)
            try await client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 500)
            #expect(response.field("connection") == "close")
            #expect(try await client.isClosedByServer())
            try await client.close()
        }
    }

    @Test func capsRequestsPerConnection() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.maxRequestsPerConnection = 3
        try await withHTTPServer(configuration: configuration, handler: testHandler) { server in
            var client = try await RawHTTPClient(connectingTo: server)
            for index in 1...3 {
                try await client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
                let response = try await client.readResponse()
                #expect(response.field("connection") == (index == 3 ? "close" : nil))
            }
            #expect(try await client.isClosedByServer())
            try await client.close()
        }
    }
}
