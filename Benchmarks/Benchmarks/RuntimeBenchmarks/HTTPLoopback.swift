import AsyncUring
import AsyncUringHTTP
import AsyncUringSocket

/// An ``HTTPServer`` answering `GET /plaintext` with `Hello, World!` on a one-ring group, and
/// a keep-alive client connection to it on the same ring.
struct HTTPLoopback: Sendable {
    let group: RingGroup
    let server: HTTPServer
    let running: Task<Void, any Error>
    let client: TCPConnection
    /// The length of one response (its `Date` field has a fixed width).
    let responseLength: Int

    static let request = Array("GET /plaintext HTTP/1.1\r\nHost: bench\r\n\r\n".utf8)

    var ring: Ring { group.rings[0] }

    static func make() async throws -> HTTPLoopback {
        let group = try RingGroup(numberOfRings: 1)
        let listener = try TCPListener.bind(host: "127.0.0.1", port: 0, group: group)
        let body = Array("Hello, World!".utf8)
        var configuration = HTTPServerConfiguration()
        // Millions of requests on one connection.
        configuration.maxRequestsPerConnection = .max
        let server = HTTPServer(listener: listener, configuration: configuration) { _ in
            HTTPServerResponse(
                status: .ok,
                headerFields: [.contentType: "text/plain"],
                body: HTTPResponseBody(bytes: body)
            )
        }
        let running = Task { try await server.run() }
        let ring = group.rings[0]
        let (client, responseLength) = try await withTaskExecutorPreference(ring) {
            let client = try await TCPConnection.connect(to: listener.localAddress, ring: ring)
            try await client.send(request)
            // The head, up to its empty line, then the body.
            var response: [UInt8] = []
            while headLength(response).map({ response.count < $0 + body.count }) ?? true {
                guard let bytes = try await client.receive() else { throw EndOfStream() }
                response += bytes
            }
            return (client, response.count)
        }
        return HTTPLoopback(
            group: group,
            server: server,
            running: running,
            client: client,
            responseLength: responseLength
        )
    }

    func shutdown() async throws {
        try await withTaskExecutorPreference(ring) { try await client.close() }
        server.triggerGracefulShutdown()
        try await running.value
        await group.shutdown()
    }
}

/// The length of the response head in `bytes` (through its empty line), once it is all there.
private func headLength(_ bytes: [UInt8]) -> Int? {
    let end = Array("\r\n\r\n".utf8)
    guard bytes.count >= end.count else { return nil }
    return (0...(bytes.count - end.count)).first { bytes[$0..<$0 + end.count].elementsEqual(end) }.map {
        $0 + end.count
    }
}
