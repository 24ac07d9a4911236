import Testing

@testable import AsyncUringHTTP

/// Inputs that parsers read differently, found by the differential test against SwiftNIO,
/// on which this parser refuses rather than picks a reading.
@Suite struct HTTPParserStrictnessTests {
    /// Content-Length is `1*DIGIT`, not a list: a list of equal values may stand for one
    /// (RFC 9110 section 8.6), but an empty element makes the value invalid.
    @Test(arguments: ["5,", ", 5", "5,,5", "5, ,5", ","])
    func contentLengthWithAnEmptyElementIsRefused(_ value: String) {
        #expect(refusal(request("Content-Length: \(value)", method: "POST")) == .invalidContentLength)
    }

    @Test(arguments: ["5, 5", "5,5", " 5 ,\t5 "])
    func contentLengthListOfEqualValuesIsOne(_ value: String) throws {
        let (head, _) = try #require(try parseHead(request("Content-Length: \(value)", method: "POST")))
        #expect(head.framing == .length(5))
    }

    /// `chunk-size [ chunk-ext ] CRLF`, chunk-ext `*( BWS ";" BWS name [ BWS "=" BWS value ] )`:
    /// whitespace may come before a ";" or "=" but not at the end of the line.
    @Test(arguments: ["5 \r\n", "5\t\r\n", "5;a \r\n", "5;a=b \r\n", "5;a=\"b\" \r\n"])
    func whitespaceAtTheEndOfAChunkSizeLineIsRefused(_ sizeLine: String) {
        #expect(bodyRefusal(sizeLine + "hello\r\n0\r\n\r\n") == .invalidChunkExtension)
    }
}

/// Authorities in authority-form (CONNECT) and absolute-form targets.
@Suite struct HTTPRequestTargetAuthorityTests {
    @Test(arguments: ["example.com:443", "[::1]:443", "10.0.0.1:1", "a-b.c_d~e%41:8080", "example.com:"])
    func connectAuthoritiesAreAccepted(_ target: String) throws {
        let (head, _) = try #require(try parseHead(request(method: "CONNECT", target: target)))
        #expect(head.request.authority == target)
    }

    @Test(arguments: [
        "example.com:443|", "example.com", ":443", "user@example.com:443", "[::1]", "[::1]x:1",
        "[]:1", "[::1:443", "a:b:443", "example.com:44a", "example.com:443/", "é.com:443",
    ])
    func malformedConnectAuthoritiesAreRefused(_ target: String) {
        #expect(refusal(request(method: "CONNECT", target: target)) == .invalidTarget)
    }

    @Test(arguments: [
        "http://a|b/", "http://user@host/", "http://:80/", "http://host#f", "https://[x]/", "http://h:8x/",
    ])
    func malformedAbsoluteFormAuthoritiesAreRefused(_ target: String) {
        #expect(refusal(request(target: target)) == .invalidTarget)
    }
}
