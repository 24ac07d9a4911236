import HTTPTypes
import Testing

@testable import AsyncUringHTTP

/// Every refusal reason, provoked by a head or a body, answered with its status.
@Suite struct HTTPRequestErrorReasonTests {
    typealias Reason = HTTPRequestError.Reason

    /// Heads refused, with the reason and the status of the answer.
    static let heads: [(String, Reason, Int)] = [
        ("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", .invalidMethod, 400),
        (" / HTTP/1.1\r\nHost: a\r\n\r\n", .invalidMethod, 400),
        ("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", .invalidMethod, 400),
        ("GET /a\u{7F} HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTarget, 400),
        ("GET /\u{1} HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTarget, 400),
        ("GET /é HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTarget, 400),
        ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTarget, 400),
        ("GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTarget, 400),
        ("GET * HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTarget, 400),
        ("GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTarget, 400),
        ("GET http:///a HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTarget, 400),
        ("GET\r\nHost: a\r\n\r\n", .invalidRequestLine, 400),
        ("GET /\r\nHost: a\r\n\r\n", .invalidRequestLine, 400),
        ("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", .invalidRequestLine, 400),
        ("GET / http/1.1\r\nHost: a\r\n\r\n", .invalidRequestLine, 400),
        ("GET / HTTP/1.10\r\nHost: a\r\n\r\n", .invalidRequestLine, 400),
        ("GET / HTTP/1\r\nHost: a\r\n\r\n", .invalidRequestLine, 400),
        ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", .unsupportedVersion, 505),
        ("GET / HTTP/1.2\r\nHost: a\r\n\r\n", .unsupportedVersion, 505),
        ("GET / HTTP/0.9\r\nHost: a\r\n\r\n", .unsupportedVersion, 505),
        ("GET /\(String(repeating: "a", count: 8192)) HTTP/1.1\r\nHost: a\r\n\r\n", .requestLineTooLong, 414),
        ("GET / HTTP/1.1\nHost: a\r\n\r\n", .bareLineFeed, 400),
        ("GET / HTTP/1.1\r\nHost: a\n\r\n", .bareLineFeed, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\n\n", .bareLineFeed, 400),
        ("GET / HTTP/1.1\rHost: a\r\n\r\n", .bareCarriageReturn, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", .bareCarriageReturn, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n", .bareCarriageReturn, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", .obsoleteLineFolding, 400),
        ("GET / HTTP/1.1\r\n\tHost: a\r\n\r\n", .obsoleteLineFolding, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", .invalidFieldName, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX(: b\r\n\r\n", .invalidFieldName, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nno colon\r\n\r\n", .whitespaceBeforeColon, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nnocolon\r\n\r\n", .invalidFieldName, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX\u{0}: b\r\n\r\n", .invalidFieldName, 400),
        ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", .whitespaceBeforeColon, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length\t: 0\r\n\r\n", .whitespaceBeforeColon, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: \u{1}\r\n\r\n", .invalidFieldValue, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{0}b\r\n\r\n", .invalidFieldValue, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{7F}\r\n\r\n", .invalidFieldValue, 400),
        (
            "GET / HTTP/1.1\r\nHost: a\r\nX: \(String(repeating: "a", count: 16384))\r\n\r\n", .headerSectionTooLarge,
            431
        ),
        ("GET / HTTP/1.1\r\nHost: a\r\n\(String(repeating: "X: a\r\n", count: 100))\r\n", .tooManyFields, 431),
        ("GET / HTTP/1.1\r\n\r\n", .missingHost, 400),
        ("GET / HTTP/1.1\r\nX: a\r\n\r\n", .missingHost, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", .multipleHost, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", .multipleHost, 400),
        ("GET / HTTP/1.0\r\nHost: a\r\nHOST: a\r\n\r\n", .multipleHost, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", .unsupportedExpectation, 417),
        ("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue, x\r\n\r\n", .unsupportedExpectation, 417),
        ("GET / HTTP/1.0\r\nExpect: x\r\n\r\n", .unsupportedExpectation, 417),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            .contentLengthWithTransferEncoding, 400
        ),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n",
            .contentLengthWithTransferEncoding, 400
        ),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ,\r\n\r\n", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1234567890123456789\r\n\r\n", .invalidContentLength, 400),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", .conflictingContentLength,
            400
        ),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\n", .conflictingContentLength, 400),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", .transferEncodingInHTTP10, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", .chunkedNotFinal, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", .chunkedNotFinal, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", .chunkedNotFinal, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", .chunkedNotFinal, 400),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            .chunkedNotFinal, 400
        ),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .unsupportedTransferCoding, 501),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 16777217\r\n\r\n", .bodyTooLarge, 413),
    ]

    /// Chunked bodies refused.
    static let chunkedBodies: [(String, Reason, Int)] = [
        ("x\r\n", .invalidChunkSize, 400),
        (";a=b\r\n", .invalidChunkSize, 400),
        (" 5\r\nhello\r\n0\r\n\r\n", .invalidChunkSize, 400),
        ("-5\r\n", .invalidChunkSize, 400),
        ("10000000000000000\r\n", .chunkSizeOverflow, 400),
        ("8000000000000000\r\n", .chunkSizeOverflow, 400),
        ("ffffffffffffffffff\r\n", .chunkSizeOverflow, 400),
        ("5x\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension, 400),
        ("5;\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension, 400),
        ("5;a=\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension, 400),
        ("5;a=\"b\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension, 400),
        ("5;a=b c\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension, 400),
        ("5;a=(\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension, 400),
        ("5;a=\"\u{1}\"\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension, 400),
        ("5;\(String(repeating: "a", count: 4096))\r\n", .chunkLineTooLong, 400),
        ("5;\(String(repeating: "a", count: 5000))", .chunkLineTooLong, 400),
        ("5\r\nhelloX\r\n0\r\n\r\n", .missingChunkTerminator, 400),
        ("5\r\nhello\n0\r\n\r\n", .missingChunkTerminator, 400),
        ("5\nhello\r\n0\r\n\r\n", .bareLineFeed, 400),
        ("5\rhello\r\n0\r\n\r\n", .bareCarriageReturn, 400),
        ("0\r\nX: a\n\r\n", .bareLineFeed, 400),
        ("0\r\n\n", .bareLineFeed, 400),
        ("0\r\nX : a\r\n\r\n", .whitespaceBeforeColon, 400),
        ("0\r\n a\r\n\r\n", .obsoleteLineFolding, 400),
        ("0\r\nX: \u{0}\r\n\r\n", .invalidFieldValue, 400),
        ("0\r\n(: a\r\n\r\n", .invalidFieldName, 400),
        ("0\r\n\(String(repeating: "X: a\r\n", count: 101))\r\n", .tooManyFields, 431),
        ("0\r\nX: \(String(repeating: "a", count: 16384))\r\n\r\n", .headerSectionTooLarge, 431),
        ("1000001\r\n", .bodyTooLarge, 413),
    ]

    @Test(arguments: heads)
    func headIsRefused(_ text: String, _ reason: Reason, _ status: Int) {
        #expect(refusal(text) == reason)
        #expect(HTTPRequestError(reason).status.code == status)
    }

    @Test(arguments: chunkedBodies)
    func chunkedBodyIsRefused(_ text: String, _ reason: Reason, _ status: Int) {
        #expect(bodyRefusal(text) == reason)
        #expect(HTTPRequestError(reason).status.code == status)
    }

    /// The parser cannot time out: the connection does, with this reason.
    @Test func headerTimeoutIsAnsweredWith408() {
        #expect(HTTPRequestError(.headerTimeout).status.code == 408)
        #expect(HTTPRequestError(.headerTimeout).description.hasPrefix("HTTP request refused (408"))
    }

    @Test func everyReasonIsProvokedAbove() {
        let provoked = Set(Self.heads.map(\.1) + Self.chunkedBodies.map(\.1) + [.headerTimeout])
        let missing = Set(Reason.allCases).subtracting(provoked)
        #expect(missing.isEmpty, "never provoked: \(missing)")
    }

    /// A refused head is refused the same way when it arrives a byte at a time: the
    /// incremental search throws the same error (or the first one it meets, for a head
    /// with more than one fault) and never waits for bytes that cannot help.
    @Test(arguments: heads)
    func headIsRefusedWhenFedAByteAtATime(_ text: String, _ reason: Reason, _ status: Int) {
        var parser = HTTPRequestHeadParser()
        let bytes = Array(text.utf8)
        var refused: Reason?
        for end in 1...bytes.count {
            do {
                let parsed = try Array(bytes[..<end]).withUnsafeBytes { try parser.parse($0) }
                #expect(parsed == nil, "parsed a refused head at \(end) of \(bytes.count)")
            } catch {
                refused = (error as? HTTPRequestError)?.reason
                break
            }
        }
        #expect(refused == reason)
    }
}
