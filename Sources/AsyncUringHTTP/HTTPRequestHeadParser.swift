import HTTPTypes

/// Parses request heads (request line and header section) strictly, per RFC 9112.
///
/// Fed the bytes buffered so far, it returns the head and its length once the whole head is
/// there, and nil before. It remembers how far it searched for the end of the head, so a
/// head arriving a byte at a time costs linear time; call ``reset()`` after a head was taken
/// from the buffer (``parse(_:)`` does so itself when it returns one).
///
/// Refused with ``HTTPRequestError``: bare CR or LF line endings, obs-fold, whitespace
/// before a colon, non-token methods and field names, control characters in values,
/// `Content-Length` beside `Transfer-Encoding`, differing `Content-Length`s, codings other
/// than a final `chunked`, `Transfer-Encoding` in HTTP/1.0, a missing or repeated `Host`,
/// and heads over the limits. One or more empty lines before a request line are skipped
/// (RFC 9112 section 2.2).
package struct HTTPRequestHeadParser: Sendable {
    package var limits: HTTPParserLimits
    /// Where the search for the end of the head goes on: every line before it ends in CRLF.
    private var searchOffset = 0
    /// The offset of the request line's LF, once found.
    private var requestLineEnd: Int?

    package init(limits: HTTPParserLimits = HTTPParserLimits()) {
        self.limits = limits
    }

    /// Forgets the search state: the next bytes begin a new head.
    package mutating func reset() {
        searchOffset = 0
        requestLineEnd = nil
    }

    /// Parses the head at the start of `bytes`.
    ///
    /// - Returns: the head and how many bytes it took (empty lines before it included), or
    ///   nil when `bytes` holds no whole head yet (and no limit is exceeded).
    /// - Throws: ``HTTPRequestError`` for a head that is malformed or over a limit; the
    ///   connection cannot be read on after it.
    package mutating func parse(
        _ bytes: UnsafeRawBufferPointer
    ) throws(HTTPRequestError) -> (
        head: HTTPRequestHead, length: Int
    )? {
        guard let (start, lineEnd, headEnd) = try findHead(bytes) else { return nil }
        reset()
        let head = try Self.parseHead(
            UnsafeRawBufferPointer(rebasing: bytes[start..<headEnd]),
            requestLineEnd: lineEnd - start,
            limits: limits
        )
        return (head, headEnd)
    }

    /// Finds where the head begins (after empty lines), where its request line ends (the
    /// offset of its LF) and where the head ends (after the empty line's LF).
    private mutating func findHead(
        _ bytes: UnsafeRawBufferPointer
    ) throws(HTTPRequestError) -> (
        start: Int, lineEnd: Int, headEnd: Int
    )? {
        let count = bytes.count
        var start = 0
        while start + 1 < count, bytes[start] == .cr, bytes[start + 1] == .lf { start += 2 }
        guard start <= limits.maxRequestLineLength else { throw HTTPRequestError(.requestLineTooLong) }
        if start == count || (start + 1 == count && bytes[start] == .cr) {
            searchOffset = 0
            return nil
        }
        var index = max(searchOffset, start)
        while index < count {
            let byte = bytes[index]
            if byte == .cr {
                guard index + 1 < count else { break }
                guard bytes[index + 1] == .lf else { throw HTTPRequestError(.bareCarriageReturn) }
            } else if byte == .lf {
                guard index > start, bytes[index - 1] == .cr else { throw HTTPRequestError(.bareLineFeed) }
                guard let lineEnd = requestLineEnd else {
                    requestLineEnd = index
                    if index - 1 - start > limits.maxRequestLineLength {
                        throw HTTPRequestError(.requestLineTooLong)
                    }
                    index += 1
                    continue
                }
                if index - lineEnd > limits.maxHeaderSize + 2 { throw HTTPRequestError(.headerSectionTooLarge) }
                // An empty line: CR LF right after the previous line's LF.
                if index - 2 >= lineEnd, bytes[index - 2] == .lf {
                    return (start, lineEnd, index + 1)
                }
            }
            index += 1
        }
        searchOffset = index
        if let lineEnd = requestLineEnd {
            if count - lineEnd > limits.maxHeaderSize + 2 { throw HTTPRequestError(.headerSectionTooLarge) }
        } else if count - start > limits.maxRequestLineLength + 1 {
            throw HTTPRequestError(.requestLineTooLong)
        }
        return nil
    }

    /// Parses a whole head: `head` runs from the request line to the empty line's LF, every
    /// line ending in CRLF (checked by the search).
    static func parseHead(
        _ head: UnsafeRawBufferPointer,
        requestLineEnd: Int,
        limits: HTTPParserLimits
    ) throws(HTTPRequestError) -> HTTPRequestHead {
        let line = RequestLine(UnsafeRawBufferPointer(rebasing: head[..<(requestLineEnd - 1)]))
        let parsedLine = try line.parse()
        var fields = FieldCollector(minorVersion: parsedLine.minorVersion, limits: limits)
        var lineStart = requestLineEnd + 1
        // The last line is the empty one.
        while lineStart < head.count - 2 {
            var lineEnd = lineStart
            while head[lineEnd] != .cr { lineEnd += 1 }
            try fields.add(UnsafeRawBufferPointer(rebasing: head[lineStart..<lineEnd]))
            lineStart = lineEnd + 2
        }
        return try fields.finish(parsedLine)
    }
}

/// The request line: `METHOD SP TARGET SP HTTP/1.x`.
struct RequestLine {
    let bytes: UnsafeRawBufferPointer

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    struct Parsed {
        var method: HTTPRequest.Method
        var target: UnsafeRawBufferPointer
        var minorVersion: Int
    }

    func parse() throws(HTTPRequestError) -> Parsed {
        var index = 0
        while index < bytes.count, bytes[index].isTokenCharacter { index += 1 }
        guard index > 0 else { throw HTTPRequestError(.invalidMethod) }
        guard index < bytes.count, bytes[index] == .space else {
            throw HTTPRequestError(index < bytes.count ? .invalidMethod : .invalidRequestLine)
        }
        let method = Self.method(UnsafeRawBufferPointer(rebasing: bytes[..<index]))
        let targetStart = index + 1
        index = targetStart
        while index < bytes.count, bytes[index] != .space {
            guard bytes[index] > 0x20 && bytes[index] < 0x7F else { throw HTTPRequestError(.invalidTarget) }
            index += 1
        }
        guard index > targetStart else { throw HTTPRequestError(.invalidTarget) }
        guard index < bytes.count else { throw HTTPRequestError(.invalidRequestLine) }
        let target = UnsafeRawBufferPointer(rebasing: bytes[targetStart..<index])
        let version = UnsafeRawBufferPointer(rebasing: bytes[(index + 1)...])
        return Parsed(method: method, target: target, minorVersion: try Self.minorVersion(version))
    }

    /// The method; the common ones without building a string.
    static func method(_ name: UnsafeRawBufferPointer) -> HTTPRequest.Method {
        switch name.count {
        case 3:
            if name.elementsEqual("GET".utf8) { return .get }
            if name.elementsEqual("PUT".utf8) { return .put }
        case 4:
            if name.elementsEqual("POST".utf8) { return .post }
            if name.elementsEqual("HEAD".utf8) { return .head }
        case 6:
            if name.elementsEqual("DELETE".utf8) { return .delete }
        default:
            break
        }
        // Checked to be a token already.
        return HTTPRequest.Method(String(decoding: name, as: UTF8.self))!
    }

    /// 0 or 1 from `HTTP/1.0` or `HTTP/1.1`.
    static func minorVersion(_ version: UnsafeRawBufferPointer) throws(HTTPRequestError) -> Int {
        let prefix = "HTTP/".utf8
        guard version.count == 8, version.prefix(5).elementsEqual(prefix), version[6] == UInt8(ascii: "."),
            version[5].isDigit, version[7].isDigit
        else { throw HTTPRequestError(.invalidRequestLine) }
        guard version[5] == UInt8(ascii: "1"), version[7] <= UInt8(ascii: "1") else {
            throw HTTPRequestError(.unsupportedVersion)
        }
        return Int(version[7] - UInt8(ascii: "0"))
    }
}

/// Collects the field lines of a head and the framing facts they carry.
struct FieldCollector {
    let minorVersion: Int
    let limits: HTTPParserLimits
    var fields = HTTPFields()
    var fieldCount = 0
    var host: String?
    var hostCount = 0
    var contentLength: Int?
    var transferCodings: [Substring] = []
    var hasTransferEncoding = false
    var connectionClose = false
    var connectionKeepAlive = false
    var expectsContinue = false

    init(minorVersion: Int, limits: HTTPParserLimits) {
        self.minorVersion = minorVersion
        self.limits = limits
    }

    /// Adds one field line (CRLF excluded).
    mutating func add(_ line: UnsafeRawBufferPointer) throws(HTTPRequestError) {
        fieldCount += 1
        guard fieldCount <= limits.maxHeaderFields else { throw HTTPRequestError(.tooManyFields) }
        let parsed = try FieldLine.parse(line)
        let name = parsed.name
        let value = parsed.value
        switch FieldLine.knownName(name) {
        case .host:
            hostCount += 1
            guard hostCount == 1 else { throw HTTPRequestError(.multipleHost) }
            host = String(decoding: value, as: UTF8.self)
            return
        case .contentLength:
            try addContentLength(value)
        case .transferEncoding:
            hasTransferEncoding = true
            for coding in FieldLine.listElements(value) { transferCodings.append(coding) }
        case .connection:
            FieldLine.forEachListElement(value) { option in
                if FieldLine.equalsIgnoringCase(option, "close") { connectionClose = true }
                if FieldLine.equalsIgnoringCase(option, "keep-alive") { connectionKeepAlive = true }
            }
        case .expect:
            // An HTTP/1.0 server ignores 100-continue (RFC 9110 section 10.1.1).
            guard Substring(decoding: value, as: UTF8.self).lowercased() == "100-continue" else {
                throw HTTPRequestError(.unsupportedExpectation)
            }
            expectsContinue = minorVersion == 1
        case nil:
            break
        }
        fields.append(HTTPField(name: FieldLine.fieldName(name), value: value))
    }

    private mutating func addContentLength(_ value: UnsafeRawBufferPointer) throws(HTTPRequestError) {
        // A list of equal values counts as one (RFC 9110 section 8.6). Content-Length is not
        // a list field, so an empty element ("5," or ", 5") is invalid, not skipped.
        let elements = Substring(decoding: value, as: UTF8.self).split(separator: ",", omittingEmptySubsequences: false)
        for element in elements {
            let trimmed = element.trimmingPrefix { $0 == " " || $0 == "\t" }
            guard let end = trimmed.lastIndex(where: { $0 != " " && $0 != "\t" }),
                let length = FieldLine.decimal(trimmed[...end])
            else { throw HTTPRequestError(.invalidContentLength) }
            if let contentLength, contentLength != length { throw HTTPRequestError(.conflictingContentLength) }
            contentLength = length
        }
        if contentLength == nil { throw HTTPRequestError(.invalidContentLength) }
    }

    consuming func finish(_ line: RequestLine.Parsed) throws(HTTPRequestError) -> HTTPRequestHead {
        if minorVersion == 1, hostCount == 0 { throw HTTPRequestError(.missingHost) }
        let framing = try bodyFraming()
        let target = try RequestTarget(line.target, method: line.method)
        let request = HTTPRequest(
            method: line.method,
            scheme: line.method == .connect ? nil : "http",
            authority: target.authority ?? host,
            path: target.path,
            headerFields: fields
        )
        return HTTPRequestHead(
            request: request,
            minorVersion: minorVersion,
            framing: framing,
            keepAlive: minorVersion == 1 ? !connectionClose : connectionKeepAlive && !connectionClose,
            expectsContinue: expectsContinue
        )
    }

    private func bodyFraming() throws(HTTPRequestError) -> HTTPRequestHead.BodyFraming {
        if hasTransferEncoding {
            guard contentLength == nil else { throw HTTPRequestError(.contentLengthWithTransferEncoding) }
            guard minorVersion == 1 else { throw HTTPRequestError(.transferEncodingInHTTP10) }
            guard let last = transferCodings.last, last.lowercased() == "chunked" else {
                throw HTTPRequestError(.chunkedNotFinal)
            }
            for coding in transferCodings.dropLast() {
                if coding.lowercased() == "chunked" { throw HTTPRequestError(.chunkedNotFinal) }
                throw HTTPRequestError(.unsupportedTransferCoding)
            }
            return .chunked
        }
        guard let contentLength, contentLength > 0 else { return .none }
        if let maxBodySize = limits.maxBodySize, contentLength > maxBodySize {
            throw HTTPRequestError(.bodyTooLarge)
        }
        return .length(contentLength)
    }
}

/// The request target's forms (RFC 9112 section 3.2).
struct RequestTarget {
    var path: String?
    /// From an absolute-form or authority-form target; nil for the other forms (the `Host`
    /// field gives it).
    var authority: String?

    init(_ target: UnsafeRawBufferPointer, method: HTTPRequest.Method) throws(HTTPRequestError) {
        let text = String(decoding: target, as: UTF8.self)
        if target[0] == UInt8(ascii: "/") {
            path = text
        } else if method == .connect {
            guard Self.isAuthority(text[...], requiresPort: true) else { throw HTTPRequestError(.invalidTarget) }
            authority = text
        } else if method == .options, text == "*" {
            path = text
        } else if let schemeEnd = text.firstRange(of: "://"),
            ["http", "https"].contains(text[..<schemeEnd.lowerBound].lowercased())
        {
            let rest = text[schemeEnd.upperBound...]
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
            guard Self.isAuthority(rest[..<authorityEnd], requiresPort: false) else {
                throw HTTPRequestError(.invalidTarget)
            }
            authority = String(rest[..<authorityEnd])
            let path = rest[authorityEnd...]
            self.path = path.first == "/" ? String(path) : "/" + path
        } else {
            throw HTTPRequestError(.invalidTarget)
        }
    }

    /// `uri-host [ ":" port ]` (RFC 3986 section 3.2.2): a bracketed IP literal or a
    /// non-empty reg-name, and digits for the port. Userinfo is refused (RFC 9110 section
    /// 4.2.4), as is an empty host (section 4.2.1).
    static func isAuthority(_ text: Substring, requiresPort: Bool) -> Bool {
        var port: Substring?
        if text.first == "[" {
            guard let close = text.firstIndex(of: "]") else { return false }
            let literal = text[text.index(after: text.startIndex)..<close]
            guard !literal.isEmpty, literal.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                return false
            }
            let after = text[text.index(after: close)...]
            if let colon = after.first {
                guard colon == ":" else { return false }
                port = after.dropFirst()
            }
        } else {
            var host = text
            if let colon = text.lastIndex(of: ":") {
                port = text[text.index(after: colon)...]
                host = text[..<colon]
            }
            let subDelimiters = "-._~%!$&'()*+,;=".utf8
            guard !host.isEmpty,
                host.utf8.allSatisfy({
                    $0.isDigit || $0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A || subDelimiters.contains($0)
                })
            else { return false }
        }
        guard let port else { return !requiresPort }
        return port.utf8.allSatisfy(\.isDigit)
    }
}

/// One field line: `name ":" OWS value OWS`.
enum FieldLine {
    /// The fields whose values the parser acts on.
    enum KnownName {
        case host, contentLength, transferEncoding, connection, expect
    }

    static func parse(
        _ line: UnsafeRawBufferPointer
    ) throws(HTTPRequestError) -> (
        name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer
    ) {
        guard let first = line.first, !first.isWhitespace else {
            throw HTTPRequestError(line.isEmpty ? .invalidFieldName : .obsoleteLineFolding)
        }
        var index = 0
        while index < line.count, line[index] != UInt8(ascii: ":") {
            let byte = line[index]
            guard byte.isTokenCharacter else {
                throw HTTPRequestError(byte.isWhitespace ? .whitespaceBeforeColon : .invalidFieldName)
            }
            index += 1
        }
        guard index > 0, index < line.count else { throw HTTPRequestError(.invalidFieldName) }
        let name = UnsafeRawBufferPointer(rebasing: line[..<index])
        var valueStart = index + 1
        var valueEnd = line.count
        while valueStart < valueEnd, line[valueStart].isWhitespace { valueStart += 1 }
        while valueEnd > valueStart, line[valueEnd - 1].isWhitespace { valueEnd -= 1 }
        for position in valueStart..<valueEnd where !line[position].isFieldValueCharacter {
            throw HTTPRequestError(.invalidFieldValue)
        }
        return (name, UnsafeRawBufferPointer(rebasing: line[valueStart..<valueEnd]))
    }

    static func knownName(_ name: UnsafeRawBufferPointer) -> KnownName? {
        switch name.count {
        case 4: equalsIgnoringCase(name, "host") ? .host : nil
        case 6: equalsIgnoringCase(name, "expect") ? .expect : nil
        case 10: equalsIgnoringCase(name, "connection") ? .connection : nil
        case 14: equalsIgnoringCase(name, "content-length") ? .contentLength : nil
        case 17: equalsIgnoringCase(name, "transfer-encoding") ? .transferEncoding : nil
        default: nil
        }
    }

    /// The field name; common ones without validating and lowercasing a new string.
    static func fieldName(_ name: UnsafeRawBufferPointer) -> HTTPField.Name {
        switch name.count {
        case 6 where equalsIgnoringCase(name, "accept"): return .accept
        case 10 where equalsIgnoringCase(name, "user-agent"): return .userAgent
        case 10 where equalsIgnoringCase(name, "connection"): return .connection
        case 12 where equalsIgnoringCase(name, "content-type"): return .contentType
        case 14 where equalsIgnoringCase(name, "content-length"): return .contentLength
        default:
            // Checked to be a token already.
            return HTTPField.Name(String(decoding: name, as: UTF8.self))!
        }
    }

    /// ASCII case-insensitive equality with a lowercase name.
    static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for index in 0..<bytes.count where bytes[index] | 0x20 != expected[index] {
            // `| 0x20` lowercases letters; '-' (0x2D) is unchanged by it.
            return false
        }
        return true
    }

    /// Calls `body` with each non-empty element of a comma-separated list, whitespace
    /// trimmed, without making strings.
    static func forEachListElement(_ value: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var start = 0
        while start <= value.count {
            var end = start
            while end < value.count, value[end] != UInt8(ascii: ",") { end += 1 }
            var first = start
            var last = end
            while first < last, value[first].isWhitespace { first += 1 }
            while last > first, value[last - 1].isWhitespace { last -= 1 }
            if last > first { body(UnsafeRawBufferPointer(rebasing: value[first..<last])) }
            start = end + 1
        }
    }

    /// The non-empty elements of a comma-separated list, whitespace trimmed.
    static func listElements(_ value: UnsafeRawBufferPointer) -> [Substring] {
        Substring(decoding: value, as: UTF8.self).split(separator: ",").compactMap { element in
            let trimmed = element.trimmingPrefix { $0 == " " || $0 == "\t" }
            let end = trimmed.lastIndex { $0 != " " && $0 != "\t" }
            return end.map { trimmed[...$0] }
        }
    }

    /// A non-negative decimal number of at most 18 digits (so it cannot overflow).
    static func decimal(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 18 else { return nil }
        var value = 0
        for byte in text.utf8 {
            guard byte.isDigit else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}

extension UInt8 {
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")

    var isDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }

    var isWhitespace: Bool { self == .space || self == .tab }

    /// tchar (RFC 9110 section 5.6.2).
    var isTokenCharacter: Bool {
        switch self {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// field-vchar, SP or HTAB (RFC 9110 section 5.5): visible ASCII and obs-text.
    var isFieldValueCharacter: Bool {
        (self > 0x20 && self != 0x7F) || self.isWhitespace
    }
}
