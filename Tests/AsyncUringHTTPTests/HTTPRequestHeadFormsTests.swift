import HTTPTypes
import Testing

@testable import AsyncUringHTTP

/// What an accepted head means: request target forms, versions and keep-alive, Connection
/// options, Expect, and the empty lines a head may follow.
@Suite struct HTTPRequestHeadFormsTests {
    @Test(arguments: [1, 2, 5])
    func emptyLinesBeforeTheRequestLineAreSkipped(count: Int) throws {
        let text = String(repeating: "\r\n", count: count) + "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
        let (head, length) = try #require(try parseHead(text))
        #expect(length == text.utf8.count)
        #expect(head.request.path == "/")
    }

    @Test func onlyEmptyLinesNeedMoreBytes() throws {
        #expect(try parseHead("\r\n\r\n\r") == nil)
        #expect(try parseHead("") == nil)
    }

    /// They count towards the request line limit, so that a peer cannot send them forever.
    @Test func emptyLinesBeyondTheRequestLineLimitAreRefused() {
        var limits = HTTPParserLimits()
        limits.maxRequestLineLength = 16
        #expect(refusal(String(repeating: "\r\n", count: 8), limits: limits) == nil)
        #expect(refusal(String(repeating: "\r\n", count: 9), limits: limits) == .requestLineTooLong)
    }

    @Test func bareLineFeedBeforeTheRequestLineIsRefused() {
        #expect(refusal("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n") == .bareLineFeed)
    }

    @Test(arguments: [
        ("HTTP/1.1", "", true),
        ("HTTP/1.1", "Connection: close", false),
        ("HTTP/1.1", "Connection: CLOSE", false),
        ("HTTP/1.1", "Connection: keep-alive", true),
        ("HTTP/1.1", "Connection: keep-alive, close", false),
        ("HTTP/1.1", "Connection: upgrade,close", false),
        ("HTTP/1.1", "Connection: closed", true),
        ("HTTP/1.1", "Connection: x-close", true),
        ("HTTP/1.1", "Connection: ,, close ,", false),
        ("HTTP/1.0", "", false),
        ("HTTP/1.0", "Connection: keep-alive", true),
        ("HTTP/1.0", "Connection: Keep-Alive", true),
        ("HTTP/1.0", "Connection: foo, keep-alive", true),
        ("HTTP/1.0", "Connection: keep-alive, close", false),
        ("HTTP/1.0", "Connection: keep-alives", false),
        ("HTTP/1.0", "Keep-Alive: timeout=5", false),
    ])
    func keepAlive(_ version: String, _ connection: String, _ keepAlive: Bool) throws {
        let fields = connection.isEmpty ? [] : [connection + "\r\n"]
        let text = "GET / \(version)\r\nHost: a\r\n" + fields.joined() + "\r\n"
        let (head, _) = try #require(try parseHead(text))
        #expect(head.keepAlive == keepAlive)
        #expect(head.minorVersion == (version == "HTTP/1.0" ? 0 : 1))
    }

    /// Connection fields stay among the header fields; several lines combine.
    @Test func connectionFieldsOnSeveralLinesCombine() throws {
        let (head, _) = try #require(try parseHead(request("Connection: upgrade", "Connection: close")))
        #expect(!head.keepAlive)
        #expect(head.request.headerFields[values: .connection] == ["upgrade", "close"])
    }

    @Test func http10WithoutHostHasNoAuthority() throws {
        let (head, _) = try #require(try parseHead("GET /a HTTP/1.0\r\n\r\n"))
        #expect(head.request.authority == nil)
        #expect(head.request.path == "/a")
        #expect(head.minorVersion == 0)
    }

    @Test(arguments: [
        ("http://example.com:8080/a?b=c", "example.com:8080", "/a?b=c"),
        ("http://example.com", "example.com", "/"),
        ("http://example.com?x", "example.com", "/?x"),
        ("HTTPS://Example.com/", "Example.com", "/"),
        ("https://[::1]:443/p", "[::1]:443", "/p"),
    ])
    func absoluteFormGivesTheAuthorityOverHost(_ target: String, _ authority: String, _ path: String) throws {
        let (head, _) = try #require(try parseHead(request(target: target)))
        #expect(head.request.authority == authority)
        #expect(head.request.path == path)
        #expect(head.request.scheme == "http")
        #expect(head.request.headerFields[.init("Host")!] == nil)
    }

    @Test func authorityFormForConnect() throws {
        let (head, _) = try #require(try parseHead(request(method: "CONNECT", target: "example.com:443")))
        #expect(head.request.method == .connect)
        #expect(head.request.authority == "example.com:443")
        #expect(head.request.path == nil)
        #expect(head.request.scheme == nil)
    }

    @Test func authorityFormForOtherMethodsIsRefused() {
        #expect(refusal(request(method: "GET", target: "example.com:443")) == .invalidTarget)
    }

    @Test func asteriskFormForOptions() throws {
        let (head, _) = try #require(try parseHead(request(method: "OPTIONS", target: "*")))
        #expect(head.request.method == .options)
        #expect(head.request.path == "*")
        #expect(head.request.authority == "a")
        #expect(refusal(request(method: "GET", target: "*")) == .invalidTarget)
        #expect(refusal(request(method: "OPTIONS", target: "**")) == .invalidTarget)
    }

    /// Any token is a method; methods are case-sensitive (RFC 9110 section 9.1).
    @Test(arguments: ["GET", "PUT", "POST", "HEAD", "DELETE", "PATCH", "get", "M-SEARCH", "X!#$%&'*+-.^_`|~9"])
    func methodsAreTokens(_ method: String) throws {
        let (head, _) = try #require(try parseHead(request(method: method)))
        #expect(head.request.method.rawValue == method)
    }

    @Test(arguments: [
        ("HTTP/1.1", "Expect: 100-continue", true),
        ("HTTP/1.1", "Expect: 100-Continue", true),
        ("HTTP/1.1", "Expect:   100-continue  ", true),
        ("HTTP/1.1", "", false),
        ("HTTP/1.0", "Expect: 100-continue", false),
    ])
    func expectContinue(_ version: String, _ expect: String, _ expectsContinue: Bool) throws {
        let text =
            "POST / \(version)\r\nHost: a\r\nContent-Length: 1\r\n" + (expect.isEmpty ? "" : expect + "\r\n") + "\r\n"
        let (head, _) = try #require(try parseHead(text))
        #expect(head.expectsContinue == expectsContinue)
    }

    @Test func fieldValuesAreTrimmedAndKeepInnerWhitespaceAndObsText() throws {
        let text = request("X: \t a \t b \t", "Y:", "Z: caf\u{E9}")
        let (head, _) = try #require(try parseHead(text))
        #expect(head.request.headerFields[HTTPField.Name("X")!] == "a \t b")
        #expect(head.request.headerFields[HTTPField.Name("Y")!] == "")
        #expect(head.request.headerFields[HTTPField.Name("Z")!] == "caf\u{E9}")
    }

    @Test func fieldOrderAndRepeatedFieldsAreKept() throws {
        let (head, _) = try #require(try parseHead(request("B: 1", "A: 2", "b: 3")))
        #expect(head.request.headerFields.map(\.name.rawName) == ["B", "A", "b"])
        #expect(head.request.headerFields[values: HTTPField.Name("b")!] == ["1", "3"])
    }

    @Test(arguments: [
        ("Content-Length: 5", HTTPRequestHead.BodyFraming.length(5)),
        ("Content-Length: 0", .none),
        ("Content-Length: 007", .length(7)),
        ("Content-Length: 5, 5", .length(5)),
        ("Transfer-Encoding: chunked", .chunked),
        ("Transfer-Encoding: CHUNKED", .chunked),
        ("Transfer-Encoding: ,chunked,", .chunked),
        ("X: y", .none),
    ])
    func framing(_ field: String, _ framing: HTTPRequestHead.BodyFraming) throws {
        let (head, _) = try #require(try parseHead(request(field, method: "POST")))
        #expect(head.framing == framing)
    }

    @Test func equalContentLengthsOnTwoLinesAreOne() throws {
        let (head, _) = try #require(try parseHead(request("Content-Length: 3", "Content-Length: 3")))
        #expect(head.framing == .length(3))
    }

    @Test func http10WithContentLengthHasABody() throws {
        let (head, _) = try #require(try parseHead("POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\nab"))
        #expect(head.framing == .length(2))
    }
}
