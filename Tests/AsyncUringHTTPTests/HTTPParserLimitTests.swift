import HTTPTypes
import Testing

@testable import AsyncUringHTTP

/// Each limit of ``HTTPParserLimits`` exactly at the limit (accepted) and one past it
/// (refused), with small limits so that the edges are easy to count.
@Suite struct HTTPParserLimitTests {
    static var small: HTTPParserLimits {
        var limits = HTTPParserLimits()
        limits.maxRequestLineLength = 64
        limits.maxHeaderSize = 128
        limits.maxHeaderFields = 4
        limits.maxBodySize = 32
        return limits
    }

    /// A request line of `length` bytes, CRLF excluded.
    static func requestLine(length: Int) -> String {
        let fixed = "GET / HTTP/1.1".utf8.count
        return "GET /\(String(repeating: "a", count: length - fixed)) HTTP/1.1"
    }

    @Test(arguments: [false, true])
    func requestLineAtTheLimitIsAccepted(byteAtATime: Bool) throws {
        let text = Self.requestLine(length: 64) + "\r\nHost: a\r\n\r\n"
        let head = try #require(try parse(text, limits: Self.small, byteAtATime: byteAtATime))
        #expect(head.request.path?.utf8.count == 64 - 13)
    }

    @Test(arguments: [false, true])
    func requestLineOnePastTheLimitIsRefusedWith414(byteAtATime: Bool) {
        let text = Self.requestLine(length: 65) + "\r\nHost: a\r\n\r\n"
        #expect(throws: HTTPRequestError(.requestLineTooLong)) {
            try parse(text, limits: Self.small, byteAtATime: byteAtATime)
        }
    }

    /// A request line past the limit is refused before its end arrives.
    @Test func requestLineWithoutEndIsRefusedOnceLongerThanTheLimit() throws {
        var parser = HTTPRequestHeadParser(limits: Self.small)
        let atLimit = Array((Self.requestLine(length: 64) + "\r").utf8)
        #expect(try atLimit.withUnsafeBytes { try parser.parse($0) } == nil)
        let past = Array((Self.requestLine(length: 66)).utf8)
        parser.reset()
        #expect(throws: HTTPRequestError(.requestLineTooLong)) { try past.withUnsafeBytes { try parser.parse($0) } }
    }

    /// `Host: a\r\n` and `X: ` and CRLF: field lines of `size` bytes, their CRLFs included.
    static func fieldLines(size: Int) -> String {
        let fixed = "Host: a\r\nX: \r\n".utf8.count
        return "Host: a\r\nX: \(String(repeating: "b", count: size - fixed))\r\n"
    }

    @Test(arguments: [false, true])
    func headerSectionAtTheLimitIsAccepted(byteAtATime: Bool) throws {
        let text = "GET / HTTP/1.1\r\n" + Self.fieldLines(size: 128) + "\r\n"
        let head = try #require(try parse(text, limits: Self.small, byteAtATime: byteAtATime))
        #expect(head.request.headerFields[HTTPField.Name("X")!]?.utf8.count == 128 - 14)
    }

    @Test(arguments: [false, true])
    func headerSectionOnePastTheLimitIsRefusedWith431(byteAtATime: Bool) {
        let text = "GET / HTTP/1.1\r\n" + Self.fieldLines(size: 129) + "\r\n"
        #expect(throws: HTTPRequestError(.headerSectionTooLarge)) {
            try parse(text, limits: Self.small, byteAtATime: byteAtATime)
        }
        #expect(HTTPRequestError(.headerSectionTooLarge).status == .requestHeaderFieldsTooLarge)
    }

    /// The limit counts field lines, not the request line: a long request line and a full
    /// header section are both accepted.
    @Test func requestLineDoesNotCountTowardsTheHeaderSection() throws {
        let text = Self.requestLine(length: 64) + "\r\n" + Self.fieldLines(size: 128) + "\r\n"
        #expect(try parse(text, limits: Self.small, byteAtATime: false) != nil)
    }

    /// `Host` counts as a field.
    @Test func fieldCountAtTheLimitIsAccepted() throws {
        let text = request("A: 1", "B: 2", "C: 3")
        let head = try #require(try parse(text, limits: Self.small, byteAtATime: false))
        #expect(head.request.headerFields.count == 3)
    }

    @Test func fieldCountOnePastTheLimitIsRefusedWith431() {
        #expect(throws: HTTPRequestError(.tooManyFields)) {
            try parse(request("A: 1", "B: 2", "C: 3", "D: 4"), limits: Self.small, byteAtATime: false)
        }
    }

    @Test func contentLengthAtTheLimitIsAccepted() throws {
        let head = try #require(try parse(request("Content-Length: 32"), limits: Self.small, byteAtATime: false))
        #expect(head.framing == .length(32))
    }

    @Test func contentLengthOnePastTheLimitIsRefusedWith413() {
        #expect(throws: HTTPRequestError(.bodyTooLarge)) {
            try parse(request("Content-Length: 33"), limits: Self.small, byteAtATime: false)
        }
        #expect(HTTPRequestError(.bodyTooLarge).status == .contentTooLarge)
    }

    @Test func noBodyLimitAcceptsTheLargestContentLength() throws {
        var limits = Self.small
        limits.maxBodySize = nil
        let head = try #require(
            try parse(request("Content-Length: 999999999999999999"), limits: limits, byteAtATime: false)
        )
        #expect(head.framing == .length(999_999_999_999_999_999))
    }

    /// 32 bytes in chunks of 16, 15 and 1.
    @Test func chunkedBodyAtTheLimitIsAccepted() throws {
        let body =
            "10\r\n\(String(repeating: "a", count: 16))\r\nf\r\n\(String(repeating: "b", count: 15))\r\n1\r\nc\r\n0\r\n\r\n"
        let decoded = try decodeBody(body, framing: .chunked, limits: Self.small)
        #expect(decoded.bytes.count == 32)
        #expect(decoded.isDone)
    }

    /// The 33rd byte is refused when its chunk's size line arrives, before its data.
    @Test func chunkedBodyOnePastTheLimitIsRefusedWith413() {
        let body = "10\r\n\(String(repeating: "a", count: 16))\r\n11\r\n"
        #expect(bodyRefusal(body, limits: Self.small) == .bodyTooLarge)
        #expect(bodyRefusal("21\r\n", limits: Self.small) == .bodyTooLarge)
    }

    @Test func trailerSectionAtAndPastTheHeaderFieldCount() throws {
        let four = "0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n"
        let decoded = try decodeBody(four, framing: .chunked, limits: Self.small)
        #expect(decoded.trailers?.count == 4)
        #expect(bodyRefusal("0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n", limits: Self.small) == .tooManyFields)
    }

    /// The longest chunk size line, extensions included, is 4096 bytes before its CRLF.
    @Test func chunkLineAtAndPastItsLimit() throws {
        let extensionAtLimit = ";" + String(repeating: "e", count: 4094)
        let decoded = try decodeBody("1\(extensionAtLimit)\r\nx\r\n0\r\n\r\n", framing: .chunked)
        #expect(decoded.bytes == Array("x".utf8))
        #expect(bodyRefusal("1\(extensionAtLimit)e\r\nx\r\n0\r\n\r\n") == .chunkLineTooLong)
    }

    /// Parses `text` whole, or fed a byte at a time to one parser.
    func parse(_ text: String, limits: HTTPParserLimits, byteAtATime: Bool) throws -> HTTPRequestHead? {
        var parser = HTTPRequestHeadParser(limits: limits)
        let bytes = Array(text.utf8)
        let ends = byteAtATime ? Array(1...bytes.count) : [bytes.count]
        for end in ends {
            let prefix = Array(bytes[..<end])
            if let parsed = try prefix.withUnsafeBytes({ try parser.parse($0) }) {
                #expect(parsed.length == bytes.count)
                return parsed.head
            }
        }
        return nil
    }
}

/// Found by fuzzing: the reason a head is refused for may depend on how much of it has
/// arrived, never whether it is refused.
@Suite struct HTTPParserRefusalOrderTests {
    @Test func overlongRequestLineWithABareLineFeedFurtherOnIsRefusedEitherWay() throws {
        var limits = HTTPParserLimits()
        limits.maxRequestLineLength = 16
        let bytes = Array((String(repeating: "P", count: 40) + "\nX").utf8)
        var whole = HTTPRequestHeadParser(limits: limits)
        #expect(throws: HTTPRequestError(.bareLineFeed)) { try bytes.withUnsafeBytes { try whole.parse($0) } }
        var inTwo = HTTPRequestHeadParser(limits: limits)
        #expect(throws: HTTPRequestError(.requestLineTooLong)) {
            try Array(bytes[..<30]).withUnsafeBytes { try inTwo.parse($0) }
        }
    }
}
