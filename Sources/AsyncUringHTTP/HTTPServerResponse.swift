import HTTPTypes

/// What a handler answers a request with: a status, header fields and a body.
///
/// The server adds what HTTP/1.1 framing needs: `Content-Length` (or chunked coding for a
/// stream of unknown length), `Date`, and `Connection: close` when the connection ends after
/// this response.
public struct HTTPServerResponse: Sendable {
    public var head: HTTPResponse
    public var body: HTTPResponseBody

    public init(head: HTTPResponse, body: HTTPResponseBody = HTTPResponseBody()) {
        self.head = head
        self.body = body
    }

    public init(
        status: HTTPResponse.Status,
        headerFields: HTTPFields = [:],
        body: HTTPResponseBody = HTTPResponseBody()
    ) {
        self.init(head: HTTPResponse(status: status, headerFields: headerFields), body: body)
    }
}

/// A response body: bytes known up front, or a stream written after the head.
public struct HTTPResponseBody: Sendable {
    /// Writes a streamed body; see ``stream(length:_:)``.
    public typealias Writer = @Sendable (inout HTTPResponseBodyWriter) async throws -> Void

    enum Content: Sendable {
        case bytes([UInt8])
        case stream(length: Int?, Writer)
    }

    let content: Content

    /// No body (`Content-Length: 0`).
    public init() {
        content = .bytes([])
    }

    /// `bytes`, sent with a `Content-Length`.
    public init(bytes: [UInt8]) {
        content = .bytes(bytes)
    }

    /// The UTF-8 of `text`, sent with a `Content-Length`.
    public init(_ text: String) {
        content = .bytes(Array(text.utf8))
    }

    /// A body written by `writer` after the head was sent, with backpressure: each write
    /// waits while the connection's send queue is full.
    ///
    /// - Parameters:
    ///   - length: the body's length, sent as `Content-Length`; writing more or fewer bytes
    ///     is a failure that closes the connection. nil: chunked coding (for an HTTP/1.0
    ///     client, the end of the connection ends the body).
    ///   - writer: writes the body; runs on the connection's ring, after the handler
    ///     returned. Its failure ends the connection (the head is already sent).
    public static func stream(length: Int? = nil, _ writer: @escaping Writer) -> HTTPResponseBody {
        HTTPResponseBody(content: .stream(length: length, writer))
    }

    private init(content: Content) {
        self.content = content
    }

    /// The length when known up front.
    var knownLength: Int? {
        switch content {
        case .bytes(let bytes): bytes.count
        case .stream(let length, _): length
        }
    }
}

/// Writes a streamed response body; see ``HTTPResponseBody/stream(length:_:)``.
public struct HTTPResponseBodyWriter: ~Copyable {
    let connection: HTTPConnectionContext
    let framing: Framing
    var written = 0
    /// Trailer fields to send after a chunked body (ignored for other bodies).
    public var trailers: HTTPFields?

    enum Framing {
        case length(Int)
        case chunked
        /// HTTP/1.0 without a length: the connection's end ends the body.
        case untilClose
        /// A response to HEAD, or a status without a body: writes are dropped.
        case none
    }

    init(connection: HTTPConnectionContext, framing: Framing) {
        self.connection = connection
        self.framing = framing
    }

    /// Writes `bytes` as the next part of the body; waits while the send queue is full.
    ///
    /// - Throws: ``HTTPResponseBodyError`` when a `Content-Length` body would grow longer
    ///   than its length; the connection's send errors.
    public mutating func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        switch framing {
        case .none:
            return
        case .length(let length):
            guard written + bytes.count <= length else {
                throw HTTPResponseBodyError(expected: length, written: written + bytes.count)
            }
            written += bytes.count
            try await connection.send(bytes)
        case .untilClose:
            written += bytes.count
            try await connection.send(bytes)
        case .chunked:
            written += bytes.count
            try await connection.sendChunk(bytes)
        }
    }

    /// Writes the UTF-8 of `text`.
    public mutating func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }

    /// Ends the body: the last chunk and the trailers of a chunked body.
    mutating func finish() async throws {
        switch framing {
        case .length(let length):
            guard written == length else { throw HTTPResponseBodyError(expected: length, written: written) }
        case .chunked:
            connection.appendLastChunk(trailers: trailers)
        case .none, .untilClose:
            break
        }
    }
}

/// A streamed body's length differed from its `Content-Length`.
public struct HTTPResponseBodyError: Error, Hashable, Sendable, CustomStringConvertible {
    public var expected: Int
    public var written: Int

    public var description: String {
        "response body of \(written) bytes differs from its Content-Length of \(expected)"
    }
}
