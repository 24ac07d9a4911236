import AsyncUringHummingbird
import HTTPTypes
import Hummingbird
import Testing

@Suite("UringApplication serving a Hummingbird Router", .timeLimit(.minutes(1)))
struct UringApplicationTests {
    struct Exchange: Sendable, CustomTestStringConvertible {
        var method: String
        var path: String
        var headers: [(String, String)] = []
        var status: Int
        var body: String?
        var testDescription: String { "\(method) \(path) -> \(status)" }
    }

    @Test(
        "routes, path parameters and errors answer as with Hummingbird's Application",
        arguments: [
            Exchange(method: "GET", path: "/hello", status: 200, body: "Hello"),
            Exchange(method: "GET", path: "/users/42", status: 200, body: "user 42"),
            Exchange(method: "GET", path: "/users/ada?x=1", status: 200, body: "user ada"),
            Exchange(method: "GET", path: "/missing", status: 404, body: ""),
            Exchange(method: "POST", path: "/hello", status: 404, body: ""),
            Exchange(method: "GET", path: "/forbidden", status: 403),
            Exchange(method: "GET", path: "/hello", headers: [("x-deny", "1")], status: 401),
            Exchange(method: "GET", path: "/fail", status: 500, body: ""),
        ]
    )
    func exchange(_ exchange: Exchange) async throws {
        try await withApplication(responder: makeTestRouter().buildResponder()) { port in
            var client = try await HTTPTestClient(port: port)
            let response = try await client.perform(exchange.method, exchange.path, headers: exchange.headers)
            #expect(response.status == exchange.status)
            if let body = exchange.body { #expect(response.text == body) }
            try await client.close()
        }
    }

    @Test("middleware runs around the routes")
    func middleware() async throws {
        try await withApplication(responder: makeTestRouter().buildResponder()) { port in
            var client = try await HTTPTestClient(port: port)
            #expect(try await client.perform("GET", "/hello").headers["x-middleware"] == "seen")
            // The not-found responder throws HTTPError(.notFound): the middleware sees the
            // error, not a response, as with Hummingbird's own server.
            let missing = try await client.perform("GET", "/missing")
            #expect(missing.status == 404)
            #expect(missing.headers["x-middleware"] == nil)
            try await client.close()
        }
    }

    @Test("an HTTPError becomes its status and its message")
    func httpError() async throws {
        try await withApplication(responder: makeTestRouter().buildResponder()) { port in
            var client = try await HTTPTestClient(port: port)
            let response = try await client.perform("GET", "/forbidden")
            #expect(response.status == 403)
            #expect(response.text.contains("not for you"))
            // The connection serves on after an error the router answered.
            #expect(try await client.perform("GET", "/hello").text == "Hello")
            try await client.close()
        }
    }

    @Test("a request body streams through the handler and back, byte for byte", arguments: [false, true])
    func echo(chunked: Bool) async throws {
        let body = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) }
        try await withApplication(responder: makeTestRouter().buildResponder()) { port in
            var client = try await HTTPTestClient(port: port)
            let request: [UInt8]
            if chunked {
                var framed: [UInt8] = []
                for start in stride(from: 0, to: body.count, by: 100_000) {
                    let chunk = body[start..<min(start + 100_000, body.count)]
                    framed += Array(String(chunk.count, radix: 16).utf8) + [13, 10] + chunk + [13, 10]
                }
                framed += Array("0\r\n\r\n".utf8)
                request = HTTPTestClient.request("POST", "/echo", headers: [("Transfer-Encoding", "chunked")]) + framed
            } else {
                request = HTTPTestClient.request("POST", "/echo", body: body)
            }
            // Sent while the echo is read: neither side holds the whole body first.
            let connection = client.connection
            async let sent: Void = connection.send(request)
            let response = try await client.readResponse()
            try await sent
            #expect(response.status == 200)
            #expect(response.headers["transfer-encoding"] == "chunked")
            #expect(response.body.count == body.count)
            // The first difference, rather than two 4 MiB arrays in a failure message.
            #expect(body.indices.first { response.body[$0] != body[$0] } == nil)
            try await client.close()
        }
    }

    @Test("a body read whole in the handler")
    func collectedBody() async throws {
        try await withApplication(responder: makeTestRouter().buildResponder()) { port in
            var client = try await HTTPTestClient(port: port)
            let response = try await client.perform("POST", "/count", body: [UInt8](repeating: 7, count: 300_000))
            #expect(response.text == "300000")
            try await client.close()
        }
    }

    @Test("a streamed response body is chunked and carries its trailers")
    func streamedResponse() async throws {
        try await withApplication(responder: makeTestRouter().buildResponder()) { port in
            var client = try await HTTPTestClient(port: port)
            let response = try await client.perform("GET", "/stream")
            #expect(response.status == 200)
            #expect(response.headers["transfer-encoding"] == "chunked")
            #expect(response.text == (0..<5).map { "part \($0)\n" }.joined())
            #expect(response.trailers["x-done"] == "yes")
            try await client.close()
        }
    }

    @Test("a large body of known length is sent with its Content-Length")
    func largeResponse() async throws {
        try await withApplication(responder: makeTestRouter().buildResponder()) { port in
            var client = try await HTTPTestClient(port: port)
            let response = try await client.perform("GET", "/big")
            #expect(response.headers["content-length"] == "\(1 << 20)")
            #expect(response.body.allSatisfy { $0 == UInt8(ascii: "a") })
            try await client.close()
        }
    }

    @Test("keep-alive: requests one after the other and pipelined on one connection")
    func keepAlive() async throws {
        try await withApplication(responder: makeTestRouter().buildResponder()) { port in
            var client = try await HTTPTestClient(port: port)
            for id in 0..<5 {
                #expect(try await client.perform("GET", "/users/\(id)").text == "user \(id)")
                #expect(
                    try await client.perform("POST", "/count", body: [UInt8](repeating: 1, count: id)).text == "\(id)"
                )
            }
            try await client.send(
                HTTPTestClient.request("GET", "/hello")
                    + HTTPTestClient.request("POST", "/echo", body: Array("pipelined".utf8))
                    + HTTPTestClient.request("GET", "/users/last")
            )
            #expect(try await client.readResponse().text == "Hello")
            #expect(try await client.readResponse().text == "pipelined")
            #expect(try await client.readResponse().text == "user last")
            try await client.close()
        }
    }

    @Test("the context tells the peer's address")
    func remoteAddress() async throws {
        try await withApplication(responder: makeTestRouter().buildResponder()) { port in
            var client = try await HTTPTestClient(port: port)
            #expect(try await client.perform("GET", "/peer").text == "127.0.0.1")
            try await client.close()
        }
    }

    @Test("a context of the application's own, and the Server field")
    func customContext() async throws {
        let router = Router(context: UserRequestContext.self)
        router.middlewares.add(UserMiddleware())
        router.get("me") { _, context in context.user ?? "anonymous" }
        let configuration = UringApplicationConfiguration(port: 0, serverName: "uring-test")
        try await withApplication(responder: router.buildResponder(), configuration: configuration) { port in
            var client = try await HTTPTestClient(port: port)
            let response = try await client.perform("GET", "/me", headers: [("x-user", "ada")])
            #expect(response.text == "ada")
            #expect(response.headers["server"] == "uring-test")
            #expect(try await client.perform("GET", "/me").text == "anonymous")
            try await client.close()
        }
    }
}

/// A context as applications write them, with a value set by a middleware.
struct UserRequestContext: RequestContext {
    typealias Source = UringRequestContextSource
    var coreContext: CoreRequestContextStorage
    var user: String?

    init(source: Source) {
        coreContext = CoreRequestContextStorage(source: source)
    }
}

/// Sets the context's user from `x-user`.
struct UserMiddleware: RouterMiddleware {
    func handle(
        _ request: Request,
        context: UserRequestContext,
        next: (Request, UserRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.user = request.headers[HTTPField.Name("x-user")!]
        return try await next(request, context)
    }
}
