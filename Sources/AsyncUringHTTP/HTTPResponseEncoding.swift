import AsyncUring
import Glibc
import HTTPTypes

/// Writes HTTP/1.1 response heads and chunk framing into a byte array.
enum HTTPResponseEncoding {
    /// Appends the status line and the fields of `head`, less the framing fields the server
    /// writes itself (`Content-Length`, `Transfer-Encoding`, `Connection`), then those.
    static func appendHead(
        _ head: HTTPResponse,
        framing: HTTPResponseBodyWriter.Framing,
        contentLength: Int?,
        keepAlive: Bool,
        minorVersion: Int,
        date: [UInt8],
        to output: inout [UInt8]
    ) {
        appendStatusLine(head.status, to: &output)
        var hasDate = false
        for field in head.headerFields {
            switch field.name {
            case .contentLength, .transferEncoding, .connection:
                continue
            case .date:
                hasDate = true
            default:
                break
            }
            output.append(contentsOf: field.name.rawName.utf8)
            output.append(contentsOf: ": ".utf8)
            output.append(contentsOf: field.value.utf8)
            output.append(contentsOf: "\r\n".utf8)
        }
        if !hasDate {
            output.append(contentsOf: "Date: ".utf8)
            output.append(contentsOf: date)
            output.append(contentsOf: "\r\n".utf8)
        }
        switch framing {
        case .chunked:
            output.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
        case .length, .none, .untilClose:
            if let contentLength {
                output.append(contentsOf: "Content-Length: ".utf8)
                appendDecimal(contentLength, to: &output)
                output.append(contentsOf: "\r\n".utf8)
            }
        }
        if !keepAlive {
            output.append(contentsOf: "Connection: close\r\n".utf8)
        } else if minorVersion == 0 {
            output.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        output.append(contentsOf: "\r\n".utf8)
    }

    static func appendStatusLine(_ status: HTTPResponse.Status, to output: inout [UInt8]) {
        if status == .ok {
            output.append(contentsOf: "HTTP/1.1 200 OK\r\n".utf8)
            return
        }
        output.append(contentsOf: "HTTP/1.1 ".utf8)
        appendDecimal(status.code, to: &output)
        output.append(UInt8.space)
        output.append(contentsOf: status.reasonPhrase.utf8)
        output.append(contentsOf: "\r\n".utf8)
    }

    /// The size line of a chunk of `count` bytes.
    static func appendChunkHeader(_ count: Int, to output: inout [UInt8]) {
        let digits = Array(String(count, radix: 16).utf8)
        output.append(contentsOf: digits)
        output.append(contentsOf: "\r\n".utf8)
    }

    static func appendDecimal(_ value: Int, to output: inout [UInt8]) {
        precondition(value >= 0)
        if value < 10 {
            output.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { digits in
            while rest > 0 {
                digits[19 - count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            }
            output.append(contentsOf: digits[(20 - count)...])
        }
    }

    /// Whether a response with this status has no body (RFC 9110 section 6.4.1).
    static func statusForbidsBody(_ status: HTTPResponse.Status) -> Bool {
        status.kind == .informational || status == .noContent || status == .notModified
    }
}

/// The `Date` field's value (IMF-fixdate) for one connection: taken from the process-wide
/// ``HTTPDateCache`` when the second changes, so it is formatted once per second per
/// process, not per connection.
struct HTTPDate {
    private var second = -1
    private(set) var bytes: [UInt8] = []

    /// The value for now.
    mutating func now() -> [UInt8] {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &time)
        if time.tv_sec != second {
            second = time.tv_sec
            bytes = HTTPDateCache.shared.value(for: time.tv_sec)
        }
        return bytes
    }
}

/// The formatted `Date` of the current second, shared by every connection.
final class HTTPDateCache: Sendable {
    static let shared = HTTPDateCache()

    private let cached = Locked<(second: Int, bytes: [UInt8])>((-1, []))

    func value(for second: Int) -> [UInt8] {
        cached.withLock { cached in
            if cached.second != second { cached = (second, HTTPDate.format(second)) }
            return cached.bytes
        }
    }
}

extension HTTPDate {
    /// `seconds` since the epoch as an IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func format(_ seconds: Int) -> [UInt8] {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func twoDigits(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let text =
            "\(days[Int(parts.tm_wday)]), \(twoDigits(parts.tm_mday)) \(months[Int(parts.tm_mon)]) "
            + "\(parts.tm_year + 1900) \(twoDigits(parts.tm_hour)):\(twoDigits(parts.tm_min)):"
            + "\(twoDigits(parts.tm_sec)) GMT"
        return Array(text.utf8)
    }
}
