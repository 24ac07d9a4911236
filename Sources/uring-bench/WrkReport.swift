/// The figures of one wrk run, read from its text report (wrk 4.1 with `--latency`):
///
/// ```
///   Latency Distribution
///      50%  446.00us
///      ...
///      99%    8.37ms
///   181280 requests in 3.04s, 27.83MB read
///   Socket errors: connect 0, read 9614, write 0, timeout 0
///   Non-2xx or 3xx responses: 28839
/// Requests/sec:  59549.58
/// ```
///
/// wrk prints the `Socket errors` and `Non-2xx or 3xx` lines only when a count is not zero.
struct WrkReport: Codable, Equatable, Sendable {
    /// Responses received during the run.
    var requests: Int
    /// The run's length as wrk measured it.
    var seconds: Double
    var requestsPerSecond: Double
    /// Latency percentiles from `Latency Distribution`, keyed by percent (50, 75, 90, 99).
    var latencyMicroseconds: [Int: Double]
    var connectErrors = 0
    var readErrors = 0
    var writeErrors = 0
    var timeouts = 0
    /// Responses whose status was not 2xx or 3xx.
    var non2xx3xx = 0

    var socketErrors: Int { connectErrors + readErrors + writeErrors + timeouts }

    /// Parses wrk's report.
    /// - Returns: nil when the report lacks the request count or the rate (wrk failed).
    static func parse(_ output: String) -> WrkReport? {
        var requests: Int?
        var seconds: Double?
        var rate: Double?
        var latency: [Int: Double] = [:]
        var errors: [String: Int] = [:]
        var non2xx3xx = 0
        var inDistribution = false
        for rawLine in output.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingSpaces
            let words = line.split(separator: " ")
            if line == "Latency Distribution" {
                inDistribution = true
                continue
            }
            if inDistribution, words.count == 2, words[0].hasSuffix("%"), let percent = Int(words[0].dropLast()) {
                // wrk prints 0.00us for the upper percentiles of a pipelined run (its
                // histogram then holds one sample per batch): no figure, not zero.
                latency[percent] = microseconds(words[1]).flatMap { $0 > 0 ? $0 : nil }
                continue
            }
            inDistribution = false
            if words.count >= 4, words[1] == "requests", words[2] == "in" {
                requests = Int(words[0])
                seconds = microseconds(words[3].hasSuffix(",") ? words[3].dropLast() : words[3]).map { $0 / 1e6 }
            } else if line.hasPrefix("Requests/sec:"), let last = words.last {
                rate = Double(last)
            } else if line.hasPrefix("Socket errors:") {
                errors = socketErrors(line.dropFirst("Socket errors:".count))
            } else if line.hasPrefix("Non-2xx or 3xx responses:"), let last = words.last {
                non2xx3xx = Int(last) ?? 0
            }
        }
        guard let requests, let seconds, let rate else { return nil }
        return WrkReport(
            requests: requests,
            seconds: seconds,
            requestsPerSecond: rate,
            latencyMicroseconds: latency,
            connectErrors: errors["connect"] ?? 0,
            readErrors: errors["read"] ?? 0,
            writeErrors: errors["write"] ?? 0,
            timeouts: errors["timeout"] ?? 0,
            non2xx3xx: non2xx3xx
        )
    }

    /// `connect 0, read 9614, write 0, timeout 0` as a dictionary.
    private static func socketErrors(_ text: Substring) -> [String: Int] {
        var counts: [String: Int] = [:]
        for item in text.split(separator: ",") {
            let parts = item.split(separator: " ")
            if parts.count == 2, let count = Int(parts[1]) { counts[String(parts[0])] = count }
        }
        return counts
    }

    /// A wrk duration such as `446.00us`, `8.37ms`, `3.04s`, `1.50m` or `1.00h`, in
    /// microseconds.
    static func microseconds(_ text: some StringProtocol) -> Double? {
        let units: [(suffix: String, scale: Double)] = [
            ("us", 1), ("ms", 1e3), ("s", 1e6), ("m", 60e6), ("h", 3600e6),
        ]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)) else { return nil }
            // wrk prints two decimals; rounding to a hundredth of a microsecond drops the
            // binary noise of the scaling (8.37 * 1000 is 8369.999...).
            return (value * scale * 100).rounded() / 100
        }
        return nil
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    fileprivate var trimmingSpaces: Substring {
        let text = self[...]
        guard let first = text.firstIndex(where: { $0 != " " && $0 != "\t" }),
            let last = text.lastIndex(where: { $0 != " " && $0 != "\t" })
        else { return "" }
        return Substring(text[first...last])
    }
}
