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
