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

    @OptionGroup var server: ServerOptions

    func run() async throws {
        try await server.serve { listener in
            var configuration = HTTPServerConfiguration()
            configuration.gracePeriod = server.gracePeriod
            // As the nginx it is compared with: keep-alive connections are not cut after a
            // number of requests.
            configuration.maxRequestsPerConnection = .max
            let http = HTTPServer(listener: listener, configuration: configuration) { request in
                try await Self.respond(to: request)
            }
            return ({ try await http.run() }, { http.triggerGracefulShutdown() })
        }
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
