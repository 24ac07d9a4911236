import HTTPTypes

/// A request head as parsed: the request, and what the connection needs to know to read its
/// body and to decide whether to keep the connection after the response.
package struct HTTPRequestHead: Sendable, Equatable {
    /// How the body is delimited (RFC 9112 section 6.3).
    package enum BodyFraming: Sendable, Equatable {
        /// No body.
        case none
        /// `Content-Length` bytes.
        case length(Int)
        /// `Transfer-Encoding: chunked`.
        case chunked
    }

    /// Method, authority (the `Host` field, which is taken out of the fields), path (the
    /// request target) and the other header fields. The scheme is `http`.
    package var request: HTTPRequest
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    package var minorVersion: Int
    package var framing: BodyFraming
    /// HTTP/1.1 without `Connection: close`, or HTTP/1.0 with `Connection: keep-alive`.
    package var keepAlive: Bool
    /// `Expect: 100-continue`.
    package var expectsContinue: Bool
}

/// The limits that protect the parser and the server from hostile or broken peers.
public struct HTTPParserLimits: Sendable, Hashable {
    /// The longest request line, CRLF excluded; longer ones are answered with 414.
    public var maxRequestLineLength = 8192
    /// The most bytes of header field lines (the head less its request line); more is
    /// answered with 431. Trailer sections of chunked bodies have the same limit.
    public var maxHeaderSize = 16384
    /// The most header fields; more is answered with 431.
    public var maxHeaderFields = 100
    /// The largest request body; a larger `Content-Length` is answered with 413 before the
    /// handler runs, a chunked body that grows larger fails its reads with 413.
    /// nil: no limit.
    public var maxBodySize: Int? = 16 << 20

    public init() {}
}
