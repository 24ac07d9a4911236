import ArgumentParser
import AsyncUring
import AsyncUringHTTP
import AsyncUringSocket
import HTTPTypes

/// `uring-bench http-server`: the HTTP server the runner measures, on AsyncUringHTTP.
/// Prints `listening on HOST:PORT` once accepting and serves until SIGINT or SIGTERM, then
/// shuts down gracefully and exits 0.
struct HTTPServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http-server",
        abstract: "Serve GET /plaintext, GET /json and POST /echo over HTTP/1.1, until SIGINT or SIGTERM.",
        discussion: """
            GET /plaintext answers `Hello, World!` (text/plain), GET /json \
            `{"message":"Hello, World!"}` (application/json), POST /echo the request body \
            (up to 1 MiB); anything else gets 404.
            """
    )

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on; 0 lets the kernel pick one.")
    var port: Int

    @Option(help: "The number of rings (default: the CPUs this process may run on).")
    var rings: Int?

    @Option(help: "Milliseconds requests in flight may run on after SIGINT or SIGTERM.")
    var gracePeriodMilliseconds = 500

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535, not \(port)") }
        if let rings, rings < 1 { throw ValidationError("--rings must be at least 1, not \(rings)") }
        guard gracePeriodMilliseconds >= 0 else {
            throw ValidationError("--grace-period-milliseconds must not be negative")
        }
    }

    func run() async throws {
        let signals = await TerminationSignals()
        raiseDescriptorLimit()
        let group = try RingGroup(numberOfRings: rings ?? RingGroup.availableCPUCount)
        do {
            let listener = try TCPListener.bind(host: host, port: port, group: group)
            var configuration = HTTPServerConfiguration()
            configuration.gracePeriod = .milliseconds(gracePeriodMilliseconds)
            // As the nginx it is compared with: keep-alive connections are not cut after a
            // number of requests.
            configuration.maxRequestsPerConnection = .max
            let server = HTTPServer(listener: listener, configuration: configuration) { request in
                try await Self.respond(to: request)
            }
            announce("listening on \(listener.localAddress)")
            try await serve({ try await server.run() }, shutdown: { server.triggerGracefulShutdown() }, until: signals)
        } catch {
            await group.shutdown()
            throw error
        }
        await group.shutdown()
    }

    // The heads of the constant responses are made once, as a server of static content
    // would: a swift-http-types head costs an allocation or two each time it is built.
    static let plaintext = Array("Hello, World!".utf8)
    static let plaintextHead = HTTPResponse(status: .ok, headerFields: [.contentType: "text/plain"])
    static let json = Array(#"{"message":"Hello, World!"}"#.utf8)
    static let jsonHead = HTTPResponse(status: .ok, headerFields: [.contentType: "application/json"])

    /// The benchmark's routes; `nonisolated(nonsending)`, so calling it costs no task switch
    /// (this module is built without NonisolatedNonsendingByDefault).
    nonisolated(nonsending) static func respond(to request: HTTPServerRequest) async throws -> HTTPServerResponse {
        switch (request.head.method, request.head.path) {
        case (.get, "/plaintext"):
            return HTTPServerResponse(head: plaintextHead, body: HTTPResponseBody(bytes: plaintext))
        case (.get, "/json"):
            return HTTPServerResponse(head: jsonHead, body: HTTPResponseBody(bytes: json))
        case (.post, "/echo"):
            let body = try await request.body.collect(upTo: 1 << 20)
            return HTTPServerResponse(status: .ok, body: HTTPResponseBody(bytes: body))
        default:
            return HTTPServerResponse(status: .notFound)
        }
    }
}
