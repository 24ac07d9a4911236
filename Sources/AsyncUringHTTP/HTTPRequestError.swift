import HTTPTypes

/// A request the server refuses: what is wrong with it, and the status it is answered with
/// before the connection closes.
///
/// The parser is strict (RFC 9110 and 9112): whatever two parsers could read differently
/// (the request smuggling vectors) is refused rather than guessed at.
public struct HTTPRequestError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public enum Reason: String, Hashable, Sendable, CaseIterable {
        // The request line.
        case invalidMethod = "the method is not a token"
        case invalidTarget = "the request target is empty or holds a byte that is not visible ASCII"
        case invalidRequestLine = "the request line is not METHOD SP TARGET SP VERSION"
        case unsupportedVersion = "the HTTP version is not 1.0 or 1.1"
        case requestLineTooLong = "the request line is longer than the limit"
        // Line endings and the header section.
        case bareLineFeed = "a line ends in LF without CR"
        case bareCarriageReturn = "a CR is not followed by LF"
        case obsoleteLineFolding = "a field line begins with whitespace (obs-fold)"
        case invalidFieldName = "a field name is empty or not a token"
        case whitespaceBeforeColon = "whitespace between a field name and its colon"
        case invalidFieldValue = "a field value holds a control character"
        case headerSectionTooLarge = "the header section is larger than the limit"
        case tooManyFields = "more header fields than the limit"
        case missingHost = "an HTTP/1.1 request without a Host field"
        case multipleHost = "more than one Host field"
        case unsupportedExpectation = "an Expect other than 100-continue"
        // Message framing.
        case contentLengthWithTransferEncoding = "both Content-Length and Transfer-Encoding"
        case invalidContentLength = "a Content-Length that is not a decimal number"
        case conflictingContentLength = "Content-Length values that differ"
        case transferEncodingInHTTP10 = "Transfer-Encoding in an HTTP/1.0 request"
        case chunkedNotFinal = "Transfer-Encoding whose last coding is not chunked"
        case unsupportedTransferCoding = "a transfer coding other than chunked"
        case bodyTooLarge = "a body larger than the limit"
        // Chunked bodies.
        case invalidChunkSize = "a chunk size that is not hexadecimal"
        case chunkSizeOverflow = "a chunk size too large to represent"
        case invalidChunkExtension = "a malformed chunk extension"
        case chunkLineTooLong = "a chunk size line longer than the limit"
        case missingChunkTerminator = "chunk data not followed by CRLF"
        // Time.
        case headerTimeout = "the request head did not arrive in time"
    }

    public var reason: Reason

    /// The status the server answers with (400, 408, 413, 414, 417, 431, 501, 505).
    public var status: HTTPResponse.Status {
        switch reason {
        case .requestLineTooLong: .uriTooLong
        case .headerSectionTooLarge, .tooManyFields: .requestHeaderFieldsTooLarge
        case .bodyTooLarge: .contentTooLarge
        case .unsupportedVersion: .httpVersionNotSupported
        case .unsupportedTransferCoding: .notImplemented
        case .unsupportedExpectation: .expectationFailed
        case .headerTimeout: .requestTimeout
        default: .badRequest
        }
    }

    public init(_ reason: Reason) {
        self.reason = reason
    }

    public var description: String {
        "HTTP request refused (\(status.code) \(status.reasonPhrase)): \(reason.rawValue)"
    }
}
