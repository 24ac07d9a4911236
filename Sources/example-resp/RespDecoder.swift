import AsyncUringSocket

/// One command: its name and arguments, as the client sent them (bytes, not text), left in
/// the bytes they arrived in: decoding copies no argument.
struct RespCommand: Equatable {
    /// The bytes the arguments are in.
    var bytes: ArraySlice<UInt8>
    /// Where each argument is in `bytes` (indices of `bytes`).
    var ranges: [Range<Int>]

    init(bytes: ArraySlice<UInt8>, ranges: [Range<Int>]) {
        self.bytes = bytes
        self.ranges = ranges
    }

    /// A command of these arguments.
    init(arguments: [[UInt8]]) {
        var bytes: [UInt8] = []
        ranges = arguments.map { argument in
            defer { bytes += argument }
            return bytes.count..<bytes.count + argument.count
        }
        self.bytes = bytes[...]
    }

    /// The name and the arguments.
    var count: Int { ranges.count }

    /// Argument `index`; 0 is the name.
    subscript(index: Int) -> ArraySlice<UInt8> { bytes[ranges[index]] }

    static func == (lhs: RespCommand, rhs: RespCommand) -> Bool {
        lhs.count == rhs.count && (0..<lhs.count).allSatisfy { lhs[$0] == rhs[$0] }
    }
}

/// Bytes that are not RESP: the server replies `-ERR Protocol error: ...` and closes.
struct RespProtocolError: Error, Equatable {
    var message: String
}

/// Cuts RESP requests out of the stream: multibulk arrays (`*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n`,
/// what client libraries send) and inline commands (`PING\r\n`, what people type and
/// redis-benchmark's `ping_inline` sends; split at spaces, without quoting).
///
/// Keeps no state: it parses a request from its start each time the reader has more bytes,
/// and consumes the request's bytes only once it is whole.
struct RespDecoder: FrameDecoder {
    /// The most arguments one multibulk request may have.
    static let maxArguments = 1 << 20
    /// The longest argument (Redis allows 512 MB; this example holds less).
    static let maxBulkLength = 16 << 20
    /// The longest inline request, as Redis's `PROTO_INLINE_MAX_SIZE`.
    static let maxInlineLength = 64 << 10
    /// The most a reader buffers: one longest argument and its framing.
    static let maxBufferSize = maxBulkLength + (64 << 10)
    /// The longest `*N` or `$N` line, `\r\n` included.
    private static let maxLengthLine = 24

    private static let crlf: [UInt8] = [13, 10]

    func decode(_ buffer: inout BufferedBytes) throws -> RespCommand? {
        if buffer[0] == UInt8(ascii: "*") { return try decodeMultibulk(&buffer) }
        return try decodeInline(&buffer)
    }

    /// `*N\r\n` then N times `$LENGTH\r\nBYTES\r\n`.
    private func decodeMultibulk(_ buffer: inout BufferedBytes) throws -> RespCommand? {
        guard let count = try lengthLine(in: buffer, at: 0, what: "multibulk length") else { return nil }
        guard count.value <= Self.maxArguments else { throw RespProtocolError(message: "invalid multibulk length") }
        var offset = count.next
        // The arguments' offsets are counted from the first unread byte; the ranges are
        // indices of the readable bytes.
        let bytes = buffer.readableBytes
        let base = bytes.startIndex
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(max(count.value, 0))
        for _ in 0..<max(count.value, 0) {
            guard offset < buffer.count else { return nil }
            guard buffer[offset] == UInt8(ascii: "$") else {
                throw RespProtocolError(message: "expected '$', got '\(Self.printable(buffer[offset]))'")
            }
            guard let length = try lengthLine(in: buffer, at: offset, what: "bulk length") else { return nil }
            guard (0...Self.maxBulkLength).contains(length.value) else {
                throw RespProtocolError(message: "invalid bulk length")
            }
            let end = length.next + length.value
            guard buffer.count >= end + 2 else { return nil }
            guard buffer[end] == 13, buffer[end + 1] == 10 else {
                throw RespProtocolError(message: "bulk string not followed by CRLF")
            }
            ranges.append(base + length.next..<base + end)
            offset = end + 2
        }
        buffer.consume(offset)
        return RespCommand(bytes: bytes[base..<base + offset], ranges: ranges)
    }

    /// The number on the `*N\r\n` or `$N\r\n` line at `offset`, and the offset after it; nil
    /// while the line is incomplete.
    private func lengthLine(in buffer: BufferedBytes, at offset: Int, what: String) throws -> (value: Int, next: Int)? {
        guard let end = buffer.firstOffset(of: Self.crlf, from: offset + 1) else {
            if buffer.count - offset > Self.maxLengthLine { throw RespProtocolError(message: "invalid \(what)") }
            return nil
        }
        guard end - offset <= Self.maxLengthLine, let value = Self.integer(in: buffer, from: offset + 1, to: end) else {
            throw RespProtocolError(message: "invalid \(what)")
        }
        return (value, end + 2)
    }

    /// The decimal integer (an optional `-`, then 1 to 18 digits) in `start..<end`.
    private static func integer(in buffer: BufferedBytes, from start: Int, to end: Int) -> Int? {
        let isNegative = start < end && buffer[start] == UInt8(ascii: "-")
        let digitsStart = isNegative ? start + 1 : start
        guard (1...18).contains(end - digitsStart) else { return nil }
        var value = 0
        for index in digitsStart..<end {
            let digit = buffer[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return isNegative ? -value : value
    }

    /// A line of arguments separated by spaces, ended by `\n` or `\r\n`.
    private func decodeInline(_ buffer: inout BufferedBytes) throws -> RespCommand? {
        guard let newline = buffer.firstOffset(of: CollectionOfOne(10)) else {
            if buffer.count > Self.maxInlineLength { throw RespProtocolError(message: "too big inline request") }
            return nil
        }
        var line = buffer.read(newline)[...]
        buffer.consume(1)
        if line.last == 13 { line.removeLast() }
        let arguments = line.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
        return RespCommand(bytes: line, ranges: arguments.map { $0.startIndex..<$0.endIndex })
    }

    /// A byte as it may appear in an error message.
    private static func printable(_ byte: UInt8) -> String {
        (32..<127).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
    }
}
