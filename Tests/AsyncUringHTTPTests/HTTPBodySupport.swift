import AsyncUringSocket
import HTTPTypes
import Testing

@testable import AsyncUringHTTP

/// A body as decoded: its bytes, its trailers, whether its end was decoded, and the bytes
/// left in the buffer after it.
struct DecodedBody: Equatable {
    var bytes: [UInt8] = []
    var trailers: HTTPFields?
    var isDone = false
    var leftover: [UInt8] = []
}

/// Decodes `bytes` with a body decoder for `framing`, appending them to the buffer in pieces
/// cut at `cuts` (offsets into `bytes`, in any order) and decoding all it can after each.
func decodeBody(
    _ bytes: [UInt8],
    framing: HTTPRequestHead.BodyFraming,
    limits: HTTPParserLimits = HTTPParserLimits(),
    maxPartSize: Int = 64 << 10,
    cuts: [Int] = []
) throws -> DecodedBody {
    var decoder = HTTPBodyDecoder(framing: framing, limits: limits, maxPartSize: maxPartSize)
    var buffer = BufferedBytes()
    var body = DecodedBody()
    var start = 0
    for end in Set(cuts + [bytes.count]).sorted() where end > start && end <= bytes.count {
        buffer.append(contentsOf: bytes[start..<end])
        start = end
        while !buffer.isEmpty, let part = try decoder.decode(&buffer) {
            switch part {
            case .bytes(let chunk):
                #expect(!chunk.isEmpty, "an empty bytes part")
                #expect(chunk.count <= maxPartSize)
                body.bytes += chunk
            case .end(let trailers):
                #expect(!body.isDone, "a second end")
                body.trailers = trailers
                body.isDone = true
            }
        }
    }
    #expect(body.isDone == (framing == .chunked && decoder.isDone), "an end part for a chunked body only")
    body.isDone = decoder.isDone
    body.leftover = buffer.readAll()
    return body
}

/// Decodes `text` (the bytes of a body) whole.
func decodeBody(
    _ text: String,
    framing: HTTPRequestHead.BodyFraming,
    limits: HTTPParserLimits = HTTPParserLimits()
) throws -> DecodedBody {
    try decodeBody(Array(text.utf8), framing: framing, limits: limits)
}

/// The reason a body is refused for, or nil when it is not.
func bodyRefusal(
    _ text: String,
    framing: HTTPRequestHead.BodyFraming = .chunked,
    limits: HTTPParserLimits = HTTPParserLimits()
) -> HTTPRequestError.Reason? {
    do {
        _ = try decodeBody(text, framing: framing, limits: limits)
        return nil
    } catch let error as HTTPRequestError {
        return error.reason
    } catch {
        Issue.record("unexpected \(error)")
        return nil
    }
}

/// A request head with `Host: a`, the given field lines, and the version 1.1.
func request(
    _ fields: String...,
    method: String = "GET",
    target: String = "/",
    version: String = "HTTP/1.1"
)
    -> String
{
    "\(method) \(target) \(version)\r\nHost: a\r\n" + fields.map { $0 + "\r\n" }.joined() + "\r\n"
}
