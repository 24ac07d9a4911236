import AsyncUringSocket

/// A response as the test client read it.
struct HTTPTestResponse {
    var status: Int
    /// Field names in lower case; a repeated field keeps its last value.
    var headers: [String: String]
    var body: [UInt8]
    var trailers: [String: String] = [:]

    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A plain HTTP/1.1 client over one loopback connection: writes requests as bytes and parses
/// the responses (`Content-Length` or chunked), so that the tests see what is on the wire.
struct HTTPTestClient: ~Copyable {
    let connection: TCPConnection
    private var reader: BufferedReader<TCPConnection>

    init(port: Int) async throws {
        connection = try await TCPConnection.connect(to: try SocketAddress(ipv4: "127.0.0.1", port: port))
        reader = connection.reader(maxBufferSize: 16 << 20)
    }

    /// The bytes of a request with `body` (and `Content-Length`, unless chunked framing is
    /// among `headers`).
    static func request(
        _ method: String,
        _ path: String,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil
    ) -> [UInt8] {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let body, !headers.contains(where: { $0.0.lowercased() == "transfer-encoding" }) {
            text += "Content-Length: \(body.count)\r\n"
        }
        text += "\r\n"
        return Array(text.utf8) + (body ?? [])
    }

    func send(_ bytes: [UInt8]) async throws {
        try await connection.send(bytes)
    }

    /// Sends a request and reads its response.
    mutating func perform(
        _ method: String,
        _ path: String,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil
    ) async throws -> HTTPTestResponse {
        try await send(Self.request(method, path, headers: headers, body: body))
        return try await readResponse()
    }

    /// Reads the next response.
    mutating func readResponse() async throws -> HTTPTestResponse {
        let statusLine = try await readLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0] == "HTTP/1.1", let status = Int(parts[1]) else {
            throw TestClientError("bad status line '\(statusLine)'")
        }
        var response = HTTPTestResponse(status: status, headers: try await readFields(), body: [])
        if response.headers["transfer-encoding"] == "chunked" {
            while true {
                guard let size = Int(try await readLine(), radix: 16) else { throw TestClientError("bad chunk size") }
                if size == 0 { break }
                response.body += try await reader.read(exactly: size)
                guard try await readLine().isEmpty else { throw TestClientError("chunk without CRLF") }
            }
            response.trailers = try await readFields()
        } else if let length = response.headers["content-length"].flatMap({ Int($0) }) {
            response.body = try await reader.read(exactly: length)
        }
        return response
    }

    /// Whether the server closed the connection (it sends nothing more).
    mutating func isClosedByPeer() async throws -> Bool {
        try await !reader.fill(timeout: .seconds(5))
    }

    private mutating func readFields() async throws -> [String: String] {
        var fields: [String: String] = [:]
        while case let line = try await readLine(), !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw TestClientError("bad field line '\(line)'") }
            let value = line[line.index(after: colon)...].drop(while: { $0 == " " })
            fields[line[..<colon].lowercased()] = String(value)
        }
        return fields
    }

    private mutating func readLine() async throws -> String {
        guard let line = try await reader.read(until: Array("\r\n".utf8), maxLength: 8192, timeout: .seconds(10))
        else { throw TestClientError("the connection ended") }
        return String(decoding: line, as: UTF8.self)
    }

    consuming func close() async throws {
        try await connection.close()
    }
}

struct TestClientError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
