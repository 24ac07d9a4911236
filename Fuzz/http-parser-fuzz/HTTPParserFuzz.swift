import AsyncUringHTTP
import AsyncUringSocket

/// libFuzzer's entry point: the head parser, then the body decoder, on one input.
///
/// The input's first two bytes choose where the rest is cut in two, so that the
/// incremental paths (a head or body arriving in two reads) are fuzzed too. Small limits
/// make the limit checks reachable within libFuzzer's input sizes.
///
/// Invariants, checked with `precondition` (a failure is a crash libFuzzer reports):
/// - a returned head length is within the input;
/// - the head parsed in two reads is the head parsed whole, or both refuse (the reasons
///   may differ: a request line over the limit is found at the end of the bytes at hand,
///   and with more at hand a bare LF further on may be met first);
/// - a body decoded in two parts is the body decoded whole, or both refuse;
/// - a Content-Length body yields at most Content-Length bytes, a chunked one at most the
///   body size limit.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data + 2, count: size - 2))
    let cut = (Int(data[0]) << 8 | Int(data[1])) % (input.count + 1)
    let whole = FuzzParse.head(input, cuts: [])
    let twoReads = FuzzParse.head(input, cuts: [cut])
    precondition(whole == twoReads || (whole.isRefused && twoReads.isRefused), "head: \(whole), \(twoReads)")
    guard case .head(let framing, let length, _) = whole else { return 0 }
    precondition(length <= input.count, "head length \(length) past the input's \(input.count)")
    let rest = Array(input[length...])
    let body = FuzzParse.body(rest, framing: framing, cuts: [])
    let bodyInTwo = FuzzParse.body(rest, framing: framing, cuts: [cut % (rest.count + 1)])
    precondition(body == bodyInTwo, "body: whole \(body), in two parts \(bodyInTwo)")
    return 0
}

/// libFuzzer's driver, from its runtime (linked by `-sanitize=fuzzer`).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ testOneInput: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

/// The program's entry point. SwiftPM links an executable target with `main` defined as
/// `<module>_main`, so libFuzzer's own `main` cannot be used; this one starts its driver.
@_cdecl("http_parser_fuzz_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return runFuzzerDriver(&argc, &argv) { data, size in fuzzHTTPParser(data, size) }
}

enum FuzzParse {
    static let limits: HTTPParserLimits = {
        var limits = HTTPParserLimits()
        limits.maxRequestLineLength = 256
        limits.maxHeaderSize = 512
        limits.maxHeaderFields = 8
        limits.maxBodySize = 1024
        return limits
    }()

    enum HeadResult: Equatable {
        case needMore
        case refused(HTTPRequestError.Reason)
        case head(HTTPRequestHead.BodyFraming, length: Int, HTTPRequestHead)

        var isRefused: Bool {
            if case .refused = self { return true }
            return false
        }
    }

    /// Parses `input` with one parser, given the prefixes ending at `cuts` and then the whole.
    static func head(_ input: [UInt8], cuts: [Int]) -> HeadResult {
        var parser = HTTPRequestHeadParser(limits: limits)
        do {
            for end in cuts + [input.count] {
                let parsed = try Array(input[..<end]).withUnsafeBytes { try parser.parse($0) }
                if let parsed {
                    precondition(parsed.length <= end, "head length \(parsed.length) past the \(end) bytes given")
                    return .head(parsed.head.framing, length: parsed.length, parsed.head)
                }
            }
            return .needMore
        } catch let error as HTTPRequestError {
            return .refused(error.reason)
        } catch {
            preconditionFailure("not an HTTPRequestError: \(error)")
        }
    }

    enum BodyResult: Equatable {
        case body([UInt8], isDone: Bool, trailers: Int)
        case refused(HTTPRequestError.Reason)
    }

    /// Decodes `rest` as a body, appended in parts cut at `cuts`.
    static func body(_ rest: [UInt8], framing: HTTPRequestHead.BodyFraming, cuts: [Int]) -> BodyResult {
        var decoder = HTTPBodyDecoder(framing: framing, limits: limits, maxPartSize: 100)
        var buffer = BufferedBytes()
        var bytes: [UInt8] = []
        var trailers = 0
        var start = 0
        do {
            for end in cuts + [rest.count] where end >= start {
                buffer.append(contentsOf: rest[start..<end])
                start = end
                while !buffer.isEmpty, let part = try decoder.decode(&buffer) {
                    switch part {
                    case .bytes(let chunk):
                        precondition(!chunk.isEmpty && chunk.count <= 100, "a part of \(chunk.count) bytes")
                        bytes += chunk
                    case .end(let fields):
                        trailers = fields?.count ?? 0
                    }
                }
            }
        } catch let error as HTTPRequestError {
            return .refused(error.reason)
        } catch {
            preconditionFailure("not an HTTPRequestError: \(error)")
        }
        switch framing {
        case .none: precondition(bytes.isEmpty, "a body without framing")
        case .length(let length): precondition(bytes.count <= length, "\(bytes.count) bytes of a \(length) byte body")
        case .chunked: precondition(bytes.count <= limits.maxBodySize!, "a chunked body of \(bytes.count) bytes")
        }
        return .body(bytes, isDone: decoder.isDone, trailers: trailers)
    }
}
