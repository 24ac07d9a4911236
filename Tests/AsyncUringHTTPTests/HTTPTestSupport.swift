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

/// A response as read off the wire.
struct WireResponse {
    var status: Int
    var reason: String
    /// Names lowercased, in order.
    var fields: [(name: String, value: String)]
    var body: [UInt8]
    var trailers: [(name: String, value: String)] = []

    func field(_ name: String) -> String? {
        fields.first { $0.name == name.lowercased() }?.value
    }

    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A client writing raw bytes and reading HTTP/1.1 responses, for tests that must control
/// every byte.
struct RawHTTPClient {
    let connection: TCPConnection
    var reader: BufferedReader<TCPConnection>

    init(connectingTo server: HTTPServer) async throws {
        connection = try await TCPConnection.connect(to: server.localAddress)
        reader = connection.reader()
    }

    func send(_ text: String) async throws {
        try await connection.send(text)
    }

    func send(_ bytes: [UInt8]) async throws {
        try await connection.send(bytes)
    }

    /// Reads one response; the body of a response to HEAD (or a 1xx, 204 or 304) is empty.
    mutating func readResponse(toHead: Bool = false, timeout: Duration = .seconds(10)) async throws -> WireResponse {
        let statusLine = try await line(timeout: timeout)
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0] == "HTTP/1.1", let status = Int(parts[1]) else {
            throw TestFailure("bad status line: \(statusLine)")
        }
        var response = WireResponse(
            status: status,
            reason: parts.count > 2 ? String(parts[2]) : "",
            fields: try await fields(timeout: timeout),
            body: []
        )
        if toHead || status / 100 == 1 || status == 204 || status == 304 { return response }
        if response.field("transfer-encoding") == "chunked" {
            while true {
                let sizeLine = try await line(timeout: timeout)
                guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else {
                    throw TestFailure("bad chunk size line: \(sizeLine)")
                }
                if size == 0 { break }
                response.body += try await reader.read(exactly: size, timeout: timeout)
                guard try await line(timeout: timeout).isEmpty else { throw TestFailure("chunk without CRLF") }
            }
            response.trailers = try await fields(timeout: timeout)
        } else if let length = response.field("content-length").flatMap({ Int($0) }) {
            response.body = try await reader.read(exactly: length, timeout: timeout)
        } else {
            while try await reader.fill(timeout: timeout) {}
            response.body = reader.readBuffered()
        }
        return response
    }

    /// True when the server closed the connection: the next read finds the end of the stream.
    mutating func isClosedByServer(timeout: Duration = .seconds(10)) async throws -> Bool {
        do {
            return try await !reader.fill(timeout: timeout) && reader.buffer.isEmpty
        } catch let error as SocketError where error.isConnectionReset {
            return true
        }
    }

    func close() async throws {
        if !connection.isClosed { try await connection.close() }
    }

    private mutating func line(timeout: Duration) async throws -> String {
        guard let bytes = try await reader.read(until: Array("\r\n".utf8), maxLength: 1 << 16, timeout: timeout) else {
            throw TestFailure("the connection ended before a response")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private mutating func fields(timeout: Duration) async throws -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        while case let fieldLine = try await line(timeout: timeout), !fieldLine.isEmpty {
            guard let colon = fieldLine.firstIndex(of: ":") else { throw TestFailure("bad field line: \(fieldLine)") }
            let value = fieldLine[fieldLine.index(after: colon)...].drop { $0 == " " }
            fields.append((fieldLine[..<colon].lowercased(), String(value)))
        }
        return fields
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
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
