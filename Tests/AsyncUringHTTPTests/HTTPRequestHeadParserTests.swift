import AsyncUringSocket
import HTTPTypes
import Testing

@testable import AsyncUringHTTP

/// Parses `text` whole with a fresh parser.
func parseHead(_ text: String, limits: HTTPParserLimits = HTTPParserLimits()) throws -> (HTTPRequestHead, Int)? {
    var parser = HTTPRequestHeadParser(limits: limits)
    let bytes = Array(text.utf8)
    return try bytes.withUnsafeBytes { try parser.parse($0) }.map { ($0.head, $0.length) }
}

/// The reason `text` is refused for, or nil when it is not.
func refusal(_ text: String, limits: HTTPParserLimits = HTTPParserLimits()) -> HTTPRequestError.Reason? {
    do {
        _ = try parseHead(text, limits: limits)
        return nil
    } catch let error as HTTPRequestError {
        return error.reason
    } catch {
        Issue.record("unexpected \(error)")
        return nil
    }
}

@Suite struct HTTPRequestHeadParserTests {
    @Test func parsesASimpleGet() throws {
        let text = "GET /plaintext HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: wrk\r\n\r\nGET"
        let (head, length) = try #require(try parseHead(text))
        #expect(length == text.utf8.count - 3)
        #expect(head.request.method == .get)
        #expect(head.request.path == "/plaintext")
        #expect(head.request.authority == "localhost:8080")
        #expect(head.request.scheme == "http")
        #expect(head.request.headerFields[.userAgent] == "wrk")
        #expect(head.request.headerFields[.init("Host")!] == nil)
        #expect(head.minorVersion == 1)
        #expect(head.keepAlive)
        #expect(head.framing == .none)
    }

    @Test func incompleteHeadsNeedMoreBytes() throws {
        let text = "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"
        var parser = HTTPRequestHeadParser()
        let bytes = Array(text.utf8)
        for end in 0..<bytes.count {
            let prefix = Array(bytes[..<end])
            #expect(try prefix.withUnsafeBytes { try parser.parse($0) } == nil)
        }
        let parsed = try #require(try bytes.withUnsafeBytes { try parser.parse($0) })
        #expect(parsed.head.framing == .length(5))
        #expect(parsed.length == bytes.count)
    }

    @Test(arguments: [
        (
            "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            HTTPRequestError.Reason.contentLengthWithTransferEncoding
        ),
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", .conflictingContentLength),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", .obsoleteLineFolding),
        ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", .whitespaceBeforeColon),
        ("GET / HTTP/1.1\r\n\r\n", .missingHost),
        ("GET / HTTP/1.1\nHost: a\r\n\r\n", .bareLineFeed),
        ("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", .invalidMethod),
        ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", .unsupportedVersion),
        ("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .unsupportedTransferCoding),
        ("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", .chunkedNotFinal),
        ("GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", .transferEncodingInHTTP10),
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", .invalidContentLength),
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", .invalidContentLength),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", .multipleHost),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: \u{1}\r\n\r\n", .invalidFieldValue),
        ("GET / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", .unsupportedExpectation),
    ])
    func refuses(_ text: String, _ reason: HTTPRequestError.Reason) {
        #expect(refusal(text) == reason)
    }
}
