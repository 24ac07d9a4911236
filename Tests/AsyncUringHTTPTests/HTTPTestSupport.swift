import AsyncUringHTTP
import AsyncUringSocket
import AsyncUringTestSupport
import Foundation
import HTTPTypes
import Testing

/// Runs an ``HTTPServer`` with `handler` on a fresh listener while `body` runs with its
/// address; then shuts the server down and checks that no descriptor leaked.
func withHTTPServer(
    configuration: HTTPServerConfiguration = HTTPServerConfiguration(),
    isolation: isolated (any Actor)? = #isolation,
    handler: @escaping HTTPServer.Handler,
    _ body: (HTTPServer) async throws -> Void
) async throws {
    try await withLeakCheck {
        let server = HTTPServer(listener: try TCPListener.bind(port: 0), configuration: configuration, handler: handler)
        let running = Task { try await server.run() }
        do {
            try await body(server)
        } catch {
            running.cancel()
            _ = try? await running.value
            throw error
        }
        server.triggerGracefulShutdown()
        try await running.value
    }
}

extension RawHTTPClient {
    init(connectingTo server: HTTPServer) async throws {
        try await self.init(connectingTo: server.localAddress)
    }
}

/// Answers GET /hello with `Hello`, echoes the body of POST /echo (streamed back as it is
/// read, chunked), and answers everything else with 404.
let testHandler: HTTPServer.Handler = { request in
    switch (request.head.method, request.head.path) {
    case (.get, "/hello"), (.head, "/hello"):
        return HTTPServerResponse(
            status: .ok,
            headerFields: [.contentType: "text/plain"],
            body: HTTPResponseBody("Hello")
        )
    case (.post, "/echo"):
        let body = request.body
        return HTTPServerResponse(
            status: .ok,
            body: .stream { writer in
                for try await part in body { try await writer.write(part) }
                writer.trailers = body.trailers
            }
        )
    case (.post, "/collect"):
        let bytes = try await request.body.collect(upTo: 1 << 20)
        return HTTPServerResponse(status: .ok, body: HTTPResponseBody(bytes: bytes))
    default:
        return HTTPServerResponse(status: .notFound)
    }
}

/// This process's resident memory, from /proc/self/statm.
func residentBytes() -> Int {
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let pages = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// Whether AddressSanitizer or ThreadSanitizer runs in this process (their allocators keep
/// freed memory for a while, so resident memory says little).
let runsUnderSanitizer: Bool = ["__asan_init", "__tsan_init"].contains { (symbol: String) in
    dlsym(nil, symbol) != nil
}
