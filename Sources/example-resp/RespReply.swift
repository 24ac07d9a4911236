/// Appends RESP replies to the bytes of one send.
extension [UInt8] {
    /// `+TEXT\r\n`.
    mutating func appendSimpleString(_ text: StaticString) {
        append(UInt8(ascii: "+"))
        text.withUTF8Buffer { append(contentsOf: $0) }
        appendCRLF()
    }

    /// `-ERR MESSAGE\r\n`, with line breaks in the message replaced by spaces.
    mutating func appendError(_ message: String) {
        append(contentsOf: "-ERR ".utf8)
        append(contentsOf: message.utf8.map { $0 == 13 || $0 == 10 ? UInt8(ascii: " ") : $0 })
        appendCRLF()
    }

    /// `$LENGTH\r\nBYTES\r\n`, or the null bulk string `$-1\r\n` for nil.
    mutating func appendBulkString(_ bytes: (some Collection<UInt8>)?) {
        guard let bytes else { return append(contentsOf: "$-1\r\n".utf8) }
        append(UInt8(ascii: "$"))
        append(contentsOf: String(bytes.count).utf8)
        appendCRLF()
        append(contentsOf: bytes)
        appendCRLF()
    }

    /// `*COUNT\r\n`, the header of an array of `count` replies.
    mutating func appendArrayHeader(count: Int) {
        append(UInt8(ascii: "*"))
        append(contentsOf: String(count).utf8)
        appendCRLF()
    }

    private mutating func appendCRLF() {
        append(13)
        append(10)
    }
}
