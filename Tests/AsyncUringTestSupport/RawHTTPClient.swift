import AsyncUringSocket

/// A client writing raw bytes and reading HTTP/1.1 responses, for tests that must control
/// every byte.
public struct RawHTTPClient {
    public let connection: TCPConnection
    public var reader: BufferedReader<TCPConnection>

    public init(connectingTo address: SocketAddress) async throws {
        connection = try await TCPConnection.connect(to: address)
        reader = connection.reader()
    }

    public func send(_ text: String) async throws {
        try await connection.send(text)
    }

    public func send(_ bytes: [UInt8]) async throws {
        try await connection.send(bytes)
    }

    /// Reads one response; the body of a response to HEAD (or a 1xx, 204 or 304) is empty.
    public mutating func readResponse(
        toHead: Bool = false,
        timeout: Duration = .seconds(10)
    ) async throws -> WireResponse {
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
    public mutating func isClosedByServer(timeout: Duration = .seconds(10)) async throws -> Bool {
        do {
            return try await !reader.fill(timeout: timeout) && reader.buffer.isEmpty
        } catch let error as SocketError where error.isConnectionReset {
            return true
        }
    }

    public func close() async throws {
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
