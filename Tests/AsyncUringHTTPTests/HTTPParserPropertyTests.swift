import AsyncUringSocket
import HTTPTypes
import PropertyBased
import Testing

@testable import AsyncUringHTTP

/// Properties over generated requests: where the bytes are cut never changes what is parsed,
/// and the head parser never looks past the head it returns.
@Suite struct HTTPParserPropertyTests {
    /// Parses `bytes` fed in pieces cut at `cuts` (each prefix given to the same parser, as a
    /// connection's buffer grows). Returns the first head found.
    static func parseInPieces(_ bytes: [UInt8], cuts: [Int]) throws -> (HTTPRequestHead, Int)? {
        var parser = HTTPRequestHeadParser()
        for end in Set(cuts + [bytes.count]).sorted() where end > 0 && end <= bytes.count {
            let prefix = Array(bytes[..<end])
            if let parsed = try prefix.withUnsafeBytes({ try parser.parse($0) }) {
                return (parsed.head, parsed.length)
            }
        }
        return nil
    }

    @Test func validRequestSplitAnywhereParsesToTheSameHeadAndBody() async throws {
        await propertyCheck(count: 500, input: Gen.uint64(), Gen.int(in: 0...2000).array(of: 0...8)) { seed, cuts in
            var random = SplitMix64(seed: seed)
            let sample = ValidRequest.make(using: &random)
            let bytes = sample.bytes
            let whole = try #require(try Self.parseInPieces(bytes, cuts: []))
            let pieces = try #require(try Self.parseInPieces(bytes, cuts: cuts))
            #expect(pieces.0 == whole.0)
            #expect(pieces.1 == whole.1)
            #expect(whole.1 == sample.headLength)
            #expect(whole.0.request.method.rawValue == sample.method)
            #expect(whole.0.request.path == sample.target)
            #expect(whole.0.request.authority == sample.host)
            let fields = whole.0.request.headerFields.map { [$0.name.canonicalName, $0.value] }
            #expect(fields == sample.fields.map { [$0.0.lowercased(), $0.1] })
            let rest = Array(bytes[whole.1...])
            let bodyCuts = cuts.map { $0 % (rest.count + 1) }
            let body = try decodeBody(rest, framing: whole.0.framing, cuts: bodyCuts)
            #expect(body.isDone)
            #expect(body.bytes == sample.body)
            #expect(body.leftover == Array("NEXT".utf8))
        }
    }

    /// What follows a head (any bytes at all) changes neither the head nor its length, and
    /// the head alone parses the same.
    @Test func headParserNeverReadsPastTheReturnedLength() async throws {
        await propertyCheck(count: 500, input: Gen.uint64(), Gen.uint8().array(of: 0...64)) { seed, garbage in
            var random = SplitMix64(seed: seed)
            let bytes = ValidRequest.make(using: &random).bytes
            let whole = try #require(try Self.parseInPieces(bytes, cuts: []))
            let headOnly = try #require(try Self.parseInPieces(Array(bytes[..<whole.1]), cuts: []))
            let followed = try #require(try Self.parseInPieces(Array(bytes[..<whole.1]) + garbage, cuts: []))
            #expect(headOnly.0 == whole.0 && headOnly.1 == whole.1)
            #expect(followed.0 == whole.0 && followed.1 == whole.1)
            for end in 0..<whole.1 {
                #expect(try Self.parseInPieces(Array(bytes[..<end]), cuts: []) == nil)
            }
        }
    }

    /// Random bytes, and valid requests with random bytes changed, are parsed or refused
    /// with a typed error, never crash, and a returned length is within the input.
    @Test func mutatedRequestsAreParsedOrRefusedAndLengthsStayInTheInput() async throws {
        let edit = zip(Gen.int(in: 0...4000), Gen.uint8())
        await propertyCheck(count: 2000, input: Gen.uint64(), edit.array(of: 1...4)) { seed, edits in
            var random = SplitMix64(seed: seed)
            var bytes = ValidRequest.make(using: &random).bytes
            for (offset, byte) in edits { bytes[offset % bytes.count] = byte }
            var parser = HTTPRequestHeadParser()
            do {
                if let parsed = try bytes.withUnsafeBytes({ try parser.parse($0) }) {
                    #expect(parsed.length <= bytes.count)
                    let body = try decodeBody(Array(bytes[parsed.length...]), framing: parsed.head.framing)
                    if case .length(let length) = parsed.head.framing { #expect(body.bytes.count <= length) }
                }
            } catch is HTTPRequestError {
            }
        }
    }
}

/// A valid request with a body, as bytes, with what it should parse to; "NEXT" follows it.
struct ValidRequest {
    var method: String
    var target: String
    var host: String
    var fields: [(String, String)]
    var body: [UInt8]
    var bytes: [UInt8]
    var headLength: Int

    static let methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "X-CUSTOM"]
    static let names = ["Accept", "User-Agent", "content-type", "X-Trace", "Cookie", "x!#$%&'*+-.^_`|~"]
    static let valueBytes = Array(" !\"#az09~\t".utf8) + [0x80, 0xFF]

    static func make(using random: inout SplitMix64) -> ValidRequest {
        let method = methods[random.below(methods.count)]
        let target = "/" + String((0..<random.below(20)).map { _ in "abc/?=&%.-_~".randomElement(using: &random)! })
        let host = "h\(random.below(1000)).example:\(random.below(65536))"
        var fields: [(String, String)] = []
        for _ in 0..<random.below(6) {
            let name = names[random.below(names.count)]
            let inner = (0..<random.below(12)).map { _ in valueBytes[random.below(valueBytes.count)] }
            // Fields are trimmed of outer whitespace.
            let value = inner.drop { $0 == .space || $0 == .tab }.reversed().drop { $0 == .space || $0 == .tab }
            fields.append((name, String(decoding: value.reversed(), as: UTF8.self)))
        }
        let body = (0..<random.below(300)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let chunked = random.below(2) == 0
        var head =
            String(repeating: "\r\n", count: random.below(2)) + "\(method) \(target) HTTP/1.1\r\nHost: \(host)\r\n"
        for (name, value) in fields { head += "\(name):\(random.below(2) == 0 ? " " : "")\(value)\r\n" }
        var framingField = body.isEmpty ? nil : "Content-Length: \(body.count)"
        if chunked { framingField = "Transfer-Encoding: chunked" }
        if let framingField {
            head += framingField + "\r\n"
            fields.append((String(framingField.prefix { $0 != ":" }), String(framingField.split(separator: " ")[1])))
        }
        head += "\r\n"
        var bytes = Array(head.utf8)
        let headLength = bytes.count
        if chunked {
            var rest = body[...]
            while !rest.isEmpty {
                let size = min(rest.count, 1 + random.below(100))
                bytes += Array(String(size, radix: 16, uppercase: random.below(2) == 0).utf8)
                bytes += Array((random.below(3) == 0 ? ";x=\"1;2\"" : "").utf8) + Array("\r\n".utf8)
                bytes += rest.prefix(size) + Array("\r\n".utf8)
                rest = rest.dropFirst(size)
            }
            bytes += Array((random.below(2) == 0 ? "0\r\n\r\n" : "0\r\nT: 1\r\n\r\n").utf8)
        } else {
            bytes += body
        }
        bytes += Array("NEXT".utf8)
        return ValidRequest(
            method: method,
            target: target,
            host: host,
            fields: fields,
            body: body,
            bytes: bytes,
            headLength: headLength
        )
    }
}

/// A small seeded generator (SplitMix64), so that a failing seed reproduces.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }
}
