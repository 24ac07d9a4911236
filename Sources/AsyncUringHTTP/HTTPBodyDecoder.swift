import AsyncUringSocket
import HTTPTypes

/// What a request body decoder yields: bytes of the body, or its end.
package enum HTTPBodyPart: Sendable, Equatable {
    case bytes([UInt8])
    /// The end of the body, with the trailer fields of a chunked body.
    case end(trailers: HTTPFields?)
}

/// Decodes a request body from the connection's buffered bytes: `Content-Length` bytes, or
/// the chunked coding (RFC 9112 section 7.1). Yields whatever body bytes are buffered, at
/// most `maxPartSize` at a time, so a body is never held whole.
package struct HTTPBodyDecoder: FrameDecoder, Sendable {
    private enum State: Sendable, Equatable {
        /// Body bytes left of a `Content-Length` body.
        case length(remaining: Int)
        /// At a chunk size line.
        case chunkSize
        /// Within a chunk's data.
        case chunkData(remaining: Int)
        /// After a chunk's data, at its CRLF.
        case chunkDataEnd
        /// After the last chunk, at the trailer section.
        case trailers
        case done
    }

    private var state: State
    private let limits: HTTPParserLimits
    /// Body bytes decoded so far (checked against `limits.maxBodySize`).
    package private(set) var bodyBytes = 0
    private let maxPartSize: Int

    /// The longest chunk size line, extensions included.
    static let maxChunkLineLength = 4096

    package init(framing: HTTPRequestHead.BodyFraming, limits: HTTPParserLimits, maxPartSize: Int = 64 << 10) {
        switch framing {
        case .none: state = .done
        case .length(let length): state = length == 0 ? .done : .length(remaining: length)
        case .chunked: state = .chunkSize
        }
        self.limits = limits
        self.maxPartSize = maxPartSize
    }

    /// True once the end was decoded (or there was no body).
    package var isDone: Bool { state == .done }

    package mutating func decode(_ buffer: inout BufferedBytes) throws -> HTTPBodyPart? {
        while true {
            switch state {
            case .done:
                return nil
            case .length(let remaining):
                let count = min(remaining, buffer.count, maxPartSize)
                guard count > 0 else { return nil }
                state = remaining == count ? .done : .length(remaining: remaining - count)
                return .bytes(buffer.read(count))
            case .chunkSize:
                guard let size = try decodeChunkSize(&buffer) else { return nil }
                if size == 0 {
                    state = .trailers
                } else {
                    bodyBytes += size
                    if let maxBodySize = limits.maxBodySize, bodyBytes > maxBodySize {
                        throw HTTPRequestError(.bodyTooLarge)
                    }
                    state = .chunkData(remaining: size)
                }
            case .chunkData(let remaining):
                let count = min(remaining, buffer.count, maxPartSize)
                guard count > 0 else { return nil }
                state = remaining == count ? .chunkDataEnd : .chunkData(remaining: remaining - count)
                return .bytes(buffer.read(count))
            case .chunkDataEnd:
                guard !buffer.isEmpty else { return nil }
                guard buffer[0] == .cr else { throw HTTPRequestError(.missingChunkTerminator) }
                guard buffer.count >= 2 else { return nil }
                guard buffer[1] == .lf else { throw HTTPRequestError(.missingChunkTerminator) }
                buffer.consume(2)
                state = .chunkSize
            case .trailers:
                guard let trailers = try decodeTrailers(&buffer) else { return nil }
                state = .done
                return .end(trailers: trailers.isEmpty ? nil : trailers)
            }
        }
    }

    /// Consumes a chunk size line, `1*HEXDIG [ chunk-ext ] CRLF`.
    /// - Returns: the size, or nil when the line is not all there.
    private func decodeChunkSize(_ buffer: inout BufferedBytes) throws -> Int? {
        let found: (size: Int, lineLength: Int)? = try buffer.withUnsafeReadableBytes {
            (bytes) throws(HTTPRequestError) -> (Int, Int)? in
            var index = 0
            var size = 0
            while index < bytes.count, let digit = bytes[index].hexValue {
                // Leading zeros are valid (`1*HEXDIG`): what overflows is the value, not the
                // digit count. Below 2^59, one more digit still fits an Int.
                guard size < 1 << 59 else { throw HTTPRequestError(.chunkSizeOverflow) }
                guard index < Self.maxChunkLineLength else { throw HTTPRequestError(.chunkLineTooLong) }
                size = size << 4 | digit
                index += 1
            }
            if index == bytes.count { return try Self.needMore(index) }
            guard index > 0 else { throw HTTPRequestError(.invalidChunkSize) }
            let extensionStart = index
            while index < bytes.count, bytes[index] != .cr, bytes[index] != .lf {
                index += 1
                guard index <= Self.maxChunkLineLength else { throw HTTPRequestError(.chunkLineTooLong) }
            }
            // A bare LF, or a CR before another byte, is refused as soon as it is there.
            if index == bytes.count { return try Self.needMore(index) }
            guard bytes[index] == .cr else { throw HTTPRequestError(.bareLineFeed) }
            if index + 1 == bytes.count { return try Self.needMore(index) }
            guard bytes[index + 1] == .lf else { throw HTTPRequestError(.bareCarriageReturn) }
            try Self.checkExtensions(UnsafeRawBufferPointer(rebasing: bytes[extensionStart..<index]))
            return (size, index + 2)
        }
        guard let found else { return nil }
        buffer.consume(found.lineLength)
        return found.size
    }

    private static func needMore<T>(_ lineLength: Int) throws(HTTPRequestError) -> T? {
        guard lineLength <= maxChunkLineLength else { throw HTTPRequestError(.chunkLineTooLong) }
        return nil
    }

    /// `*( BWS ";" BWS ext-name [ BWS "=" BWS ext-value ] )`, ext-value a token or a quoted
    /// string. Extensions are checked and ignored.
    static func checkExtensions(_ bytes: UnsafeRawBufferPointer) throws(HTTPRequestError) {
        var index = 0
        func skipWhitespace() {
            while index < bytes.count, bytes[index].isWhitespace { index += 1 }
        }
        func token() throws(HTTPRequestError) {
            let start = index
            while index < bytes.count, bytes[index].isTokenCharacter { index += 1 }
            guard index > start else { throw HTTPRequestError(.invalidChunkExtension) }
        }
        func quotedString() throws(HTTPRequestError) {
            index += 1
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    return
                }
                if byte == UInt8(ascii: "\\") { index += 1 }
                guard index < bytes.count, bytes[index].isFieldValueCharacter else { break }
                index += 1
            }
            throw HTTPRequestError(.invalidChunkExtension)
        }
        while true {
            // BWS only before ";": the grammar has no whitespace at the end of the line.
            skipWhitespace()
            guard index < bytes.count else {
                if index > 0, bytes[index - 1].isWhitespace { throw HTTPRequestError(.invalidChunkExtension) }
                return
            }
            guard bytes[index] == UInt8(ascii: ";") else { throw HTTPRequestError(.invalidChunkExtension) }
            index += 1
            skipWhitespace()
            try token()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else { continue }
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                try quotedString()
            } else {
                try token()
            }
        }
    }

    /// Consumes the trailer section: field lines, then an empty line.
    /// - Returns: the fields (empty when there are none), or nil when the section is not all
    ///   there.
    private func decodeTrailers(_ buffer: inout BufferedBytes) throws -> HTTPFields? {
        let limits = limits
        let found: (fields: HTTPFields, length: Int)? = try buffer.withUnsafeReadableBytes {
            (bytes) throws(HTTPRequestError) -> (HTTPFields, Int)? in
            var fields = HTTPFields()
            var lineStart = 0
            while true {
                var index = lineStart
                while index < bytes.count, bytes[index] != .cr, bytes[index] != .lf { index += 1 }
                guard index <= limits.maxHeaderSize else { throw HTTPRequestError(.headerSectionTooLarge) }
                if index == bytes.count { return nil }
                guard bytes[index] == .cr else { throw HTTPRequestError(.bareLineFeed) }
                if index + 1 == bytes.count { return nil }
                guard bytes[index + 1] == .lf else { throw HTTPRequestError(.bareCarriageReturn) }
                if index == lineStart { return (fields, index + 2) }
                guard fields.count < limits.maxHeaderFields else { throw HTTPRequestError(.tooManyFields) }
                let (name, value) = try FieldLine.parse(UnsafeRawBufferPointer(rebasing: bytes[lineStart..<index]))
                fields.append(HTTPField(name: FieldLine.fieldName(name), value: value))
                lineStart = index + 2
            }
        }
        guard let found else { return nil }
        buffer.consume(found.length)
        return found.fields
    }
}

extension UInt8 {
    /// The value of a hexadecimal digit.
    var hexValue: Int? {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(self - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(self - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(self - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
