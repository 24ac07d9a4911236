import AsyncUringSocket
import HTTPTypes
import Testing

@testable import AsyncUringHTTP

/// Content-Length and chunked bodies: whole, in pieces, and malformed.
@Suite struct HTTPBodyDecoderTests {
    @Test func contentLengthBodyStopsAtItsLengthAndLeavesTheNextRequest() throws {
        let decoded = try decodeBody("helloGET /", framing: .length(5))
        #expect(decoded.bytes == Array("hello".utf8))
        #expect(decoded.isDone)
        #expect(decoded.leftover == Array("GET /".utf8))
    }

    @Test func contentLengthBodyShortOfItsLengthIsNotDone() throws {
        let decoded = try decodeBody("hell", framing: .length(5))
        #expect(decoded.bytes == Array("hell".utf8))
        #expect(!decoded.isDone)
    }

    @Test func noBodyIsDoneAtOnceAndReadsNothing() throws {
        let decoded = try decodeBody("GET", framing: .none)
        #expect(decoded.isDone)
        #expect(decoded.bytes.isEmpty)
        #expect(decoded.leftover == Array("GET".utf8))
    }

    @Test func partsAreNoLargerThanTheMaximum() throws {
        let bytes = Array(repeating: UInt8(ascii: "z"), count: 100)
        let decoded = try decodeBody(bytes, framing: .length(100), maxPartSize: 7)
        #expect(decoded.bytes == bytes)
        let chunked = Array("64\r\n".utf8) + bytes + Array("\r\n0\r\n\r\n".utf8)
        #expect(try decodeBody(chunked, framing: .chunked, maxPartSize: 7).bytes == bytes)
    }

    @Test func chunkedBodyWithTrailers() throws {
        let decoded = try decodeBody(
            "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 1\r\nY: a b\r\n\r\nNEXT",
            framing: .chunked
        )
        #expect(decoded.bytes == Array("hello world".utf8))
        #expect(decoded.isDone)
        #expect(decoded.trailers?[HTTPField.Name("X-Sum")!] == "1")
        #expect(decoded.trailers?[HTTPField.Name("Y")!] == "a b")
        #expect(decoded.leftover == Array("NEXT".utf8))
    }

    @Test func chunkedBodyWithoutTrailersEndsWithNone() throws {
        let decoded = try decodeBody("0\r\n\r\n", framing: .chunked)
        #expect(decoded.isDone)
        #expect(decoded.trailers == nil)
        #expect(decoded.bytes.isEmpty)
    }

    @Test(arguments: ["a", "A", "0a", "00000A", "000000000000000a"])
    func chunkSizesInEitherCaseAndWithLeadingZeros(_ size: String) throws {
        let data = String(repeating: "d", count: 10)
        let decoded = try decodeBody("\(size)\r\n\(data)\r\n0\r\n\r\n", framing: .chunked)
        #expect(decoded.bytes == Array(data.utf8))
    }

    /// The largest chunk size is Int.max, whatever the number of leading zeros.
    @Test func largestChunkSizeIsIntMax() throws {
        var limits = HTTPParserLimits()
        limits.maxBodySize = nil
        for size in ["7fffffffffffffff", "0000007FFFFFFFFFFFFFFF"] {
            let decoded = try decodeBody(Array("\(size)\r\nab".utf8), framing: .chunked, limits: limits)
            #expect(decoded.bytes == Array("ab".utf8))
        }
        #expect(bodyRefusal("8000000000000000\r\n", limits: limits) == .chunkSizeOverflow)
        #expect(bodyRefusal("fffffffffffffff0\r\n", limits: limits) == .chunkSizeOverflow)
    }

    /// Leading zeros count towards the chunk line limit.
    @Test func leadingZerosPastTheChunkLineLimitAreRefused() throws {
        let zeros = String(repeating: "0", count: 4095)
        #expect(try decodeBody("\(zeros)1\r\nx\r\n0\r\n\r\n", framing: .chunked).bytes == Array("x".utf8))
        #expect(bodyRefusal("\(zeros)01\r\nx\r\n0\r\n\r\n") == .chunkLineTooLong)
    }

    /// A byte that cannot begin a valid line end is refused when it arrives, not after one
    /// more byte: a peer that stops after it is answered at once.
    @Test func faultsAtTheEndOfTheBufferAreRefusedAtOnce() {
        #expect(bodyRefusal("5\n") == .bareLineFeed)
        #expect(bodyRefusal("5;a\n") == .bareLineFeed)
        #expect(bodyRefusal("3\r\nabcX") == .missingChunkTerminator)
        #expect(bodyRefusal("3\r\nabc\r\n0\r\n\n") == .bareLineFeed)
        #expect(bodyRefusal("0\r\nX: a\n") == .bareLineFeed)
    }

    @Test(arguments: [
        "5;a\r\n",
        "5;a=b\r\n",
        "5 ; a = b ; c\r\n",
        "5;a=\"\"\r\n",
        "5;a=\"q u;o\\\"t=e\\\\\"\r\n",
        "5;a=\"caf\u{E9}\"\r\n",
        "5\t;\ta\t=\t\"b\"\r\n",
        "5;!#$%&'*+-.^_`|~=!#$%&'*+-.^_`|~\r\n",
    ])
    func chunkExtensionsAreCheckedAndIgnored(_ sizeLine: String) throws {
        let decoded = try decodeBody(sizeLine + "hello\r\n0;last=\"yes\"\r\n\r\n", framing: .chunked)
        #expect(decoded.bytes == Array("hello".utf8))
        #expect(decoded.isDone)
    }

    @Test(arguments: [
        "5;a=\"b\\\"\r\n", "5;a=\"\r\n", "5;=b\r\n", "5;a;\r\n", "5;a=b=c\r\n", "5;a=\"b\"c\r\n", "5 x\r\n",
    ])
    func malformedChunkExtensionsAreRefused(_ sizeLine: String) {
        #expect(bodyRefusal(sizeLine + "hello\r\n0\r\n\r\n") == .invalidChunkExtension)
    }

    @Test func missingCRLFAfterChunkDataIsRefused() {
        #expect(bodyRefusal("3\r\nabcd\r\n0\r\n\r\n") == .missingChunkTerminator)
        #expect(bodyRefusal("3\r\nabc\r\r\n0\r\n\r\n") == .missingChunkTerminator)
        #expect(bodyRefusal("3\r\nabc0\r\n\r\n") == .missingChunkTerminator)
    }

    @Test func bareLineEndsInChunkedBodiesAreRefused() {
        #expect(bodyRefusal("3\nabc\r\n0\r\n\r\n") == .bareLineFeed)
        #expect(bodyRefusal("3\r\nabc\r\n0\n\r\n") == .bareLineFeed)
        #expect(bodyRefusal("3\r\nabc\r\n0\r\n\n") == .bareLineFeed)
        #expect(bodyRefusal("3\r\nabc\r\n0\r\nX: a\rb\r\n\r\n") == .bareCarriageReturn)
        #expect(bodyRefusal("3\r\nabc\r\n0\r\n\rX") == .bareCarriageReturn)
    }

    @Test func incompleteChunkedBodyIsNotDone() throws {
        for text in [
            "5", "5\r", "5\r\nhel", "5\r\nhello", "5\r\nhello\r", "5\r\nhello\r\n0\r\n", "5\r\nhello\r\n0\r\nX: a\r\n",
        ] {
            let decoded = try decodeBody(text, framing: .chunked)
            #expect(!decoded.isDone, "\(text.debugDescription)")
        }
    }

    static let chunkedSample =
        "5;name=\"v;al\"\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n1\r\n!\r\n0\r\nTrailer: t\r\n\r\nGET / HTTP/1.1"

    @Test func chunkedBodyFedAByteAtATimeGivesTheSameBytes() throws {
        let bytes = Array(Self.chunkedSample.utf8)
        let whole = try decodeBody(bytes, framing: .chunked)
        let byByte = try decodeBody(bytes, framing: .chunked, cuts: Array(0..<bytes.count))
        #expect(whole.bytes == Array("helloabcdefghijklmnopqrstuvwxyz!".utf8))
        #expect(byByte == whole)
        #expect(whole.leftover == Array("GET / HTTP/1.1".utf8))
    }

    @Test func contentLengthBodyFedAByteAtATimeGivesTheSameBytes() throws {
        let bytes = Array("0123456789abcdefXYZ".utf8)
        let whole = try decodeBody(bytes, framing: .length(16))
        let byByte = try decodeBody(bytes, framing: .length(16), cuts: Array(0..<bytes.count))
        #expect(byByte == whole)
        #expect(whole.bytes == Array(bytes.prefix(16)))
        #expect(whole.leftover == Array("XYZ".utf8))
    }

    @Test func decoderAfterTheEndDecodesNothing() throws {
        var decoder = HTTPBodyDecoder(framing: .length(1), limits: HTTPParserLimits())
        var buffer = BufferedBytes(Array("ab".utf8))
        #expect(try decoder.decode(&buffer) == .bytes([UInt8(ascii: "a")]))
        #expect(decoder.isDone)
        #expect(try decoder.decode(&buffer) == nil)
        #expect(buffer.count == 1)
    }
}
