import AsyncUringHTTP
import AsyncUringSocket
import AsyncUringTestSupport
import HTTPTypes
import Testing

/// Every refusal over a real connection: the status, then the close.
@Suite(.timeLimit(.minutes(1))) struct HTTPServerRefusalTests {
    static let limits: HTTPServerConfiguration = {
        var configuration = HTTPServerConfiguration()
        configuration.limits.maxRequestLineLength = 100
        configuration.limits.maxHeaderSize = 200
        configuration.limits.maxHeaderFields = 5
        configuration.limits.maxBodySize = 1000
        return configuration
    }()

    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n folded\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX@: a\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("GET / HTTP/1.1\nHost: a\n\n", 400),
        ("GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505),
        ("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        ("GET / HTTP/1.1\r\nHost: a\r\nExpect: something\r\n\r\n", 417),
        ("GET /\(String(repeating: "a", count: 120)) HTTP/1.1\r\nHost: a\r\n\r\n", 414),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: \(String(repeating: "b", count: 250))\r\n\r\n", 431),
        ("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n", 431),
        ("POST /collect HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n", 413),
        ("POST /collect HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3e9\r\n", 413),
        ("POST /collect HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n", 400),
        ("POST /collect HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        ("POST /collect HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", 400),
    ])
    func refusesWithStatusAndCloses(_ request: String, _ status: Int) async throws {
        try await withHTTPServer(configuration: Self.limits, handler: testHandler) { server in
            var client = try await RawHTTPClient(connectingTo: server)
            try await client.send(request)
            let response = try await client.readResponse()
            #expect(response.status == status)
            #expect(response.field("connection") == "close")
            #expect(try await client.isClosedByServer())
            try await client.close()
        }
    }

    /// Slowloris: a head that trickles in gets 408 after the header timeout.
    @Test func answersASlowHeadWith408() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.headerTimeout = .milliseconds(300)
        try await withHTTPServer(configuration: configuration, handler: testHandler) { server in
            var client = try await RawHTTPClient(connectingTo: server)
            try await client.send("GET / HTTP/1.1\r\n")
            // A field line every 50 ms, for longer than the timeout: sending does not extend it.
            for _ in 0..<10 {
                try await Task.sleep(for: .milliseconds(50))
                try? await client.send("X: y\r\n")
            }
            let response = try await client.readResponse()
            #expect(response.status == 408)
            #expect(try await client.isClosedByServer())
            try await client.close()
        }
    }

    @Test func closesIdleConnections() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.idleTimeout = .milliseconds(200)
        try await withHTTPServer(configuration: configuration, handler: testHandler) { server in
            var client = try await RawHTTPClient(connectingTo: server)
            try await client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try await client.readResponse().status == 200)
            let start = ContinuousClock.now
            #expect(try await client.isClosedByServer(timeout: .seconds(10)))
            #expect(start.duration(to: .now) >= .milliseconds(150))
            try await client.close()
        }
    }

    /// A graceful shutdown closes idle connections at once; a request in flight finishes,
    /// told the connection closes.
    @Test func gracefulShutdownFinishesRequestsInFlight() async throws {
        let release = AsyncStream<Void>.makeStream()
        let entered = AsyncStream<Void>.makeStream()
        let handler: HTTPServer.Handler = { request in
            if request.head.path == "/slow" {
                entered.continuation.yield()
                for await _ in release.stream { break }
            }
            return HTTPServerResponse(status: .ok, body: HTTPResponseBody("done"))
        }
        try await withLeakCheck {
            let server = HTTPServer(listener: try TCPListener.bind(port: 0), handler: handler)
            let running = Task { try await server.run() }
            var idle = try await RawHTTPClient(connectingTo: server)
            try await idle.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try await idle.readResponse().status == 200)
            var busy = try await RawHTTPClient(connectingTo: server)
            try await busy.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
            for await _ in entered.stream { break }
            server.triggerGracefulShutdown()
            #expect(try await idle.isClosedByServer(timeout: .seconds(5)))
            release.continuation.yield()
            let response = try await busy.readResponse()
            #expect(response.text == "done")
            #expect(response.field("connection") == "close")
            #expect(try await busy.isClosedByServer())
            try await running.value
            try await idle.close()
            try await busy.close()
        }
    }
}

/// Cancelling the task running the server ends every connection at once: idle ones, and one
/// whose handler is waiting; nothing is left open.
@Suite(.timeLimit(.minutes(1))) struct HTTPServerCancellationTests {
    @Test func cancellingRunEndsEveryConnection() async throws {
        let entered = AsyncStream<Void>.makeStream()
        let handler: HTTPServer.Handler = { request in
            if request.head.path == "/forever" {
                entered.continuation.yield()
                try await Task.sleep(for: .seconds(3600))
            }
            return HTTPServerResponse(status: .ok)
        }
        try await withLeakCheck {
            let server = HTTPServer(listener: try TCPListener.bind(port: 0), handler: handler)
            let running = Task { try await server.run() }
            var idle = try await RawHTTPClient(connectingTo: server)
            try await idle.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try await idle.readResponse().status == 200)
            var busy = try await RawHTTPClient(connectingTo: server)
            try await busy.send("GET /forever HTTP/1.1\r\nHost: t\r\n\r\n")
            for await _ in entered.stream { break }
            running.cancel()
            _ = try? await running.value
            #expect(server.openConnections == 0)
            #expect(try await idle.isClosedByServer(timeout: .seconds(5)))
            #expect(try await busy.isClosedByServer(timeout: .seconds(5)))
            try await idle.close()
            try await busy.close()
        }
    }
}
