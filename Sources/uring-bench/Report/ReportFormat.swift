import Foundation

/// How the report writes numbers and text.
enum ReportFormat {
    /// Three significant digits with a k or M suffix: `138k`, `19.9k`, `1.28M`, `950`.
    static func compact(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude >= 999.5e3 { return significant(value / 1e6) + "M" }
        if magnitude >= 999.5 { return significant(value / 1e3) + "k" }
        return significant(value)
    }

    /// Three significant digits without exponent for values under 1000: `348`, `25.3`,
    /// `7.17`, `0.736`.
    static func significant(_ value: Double) -> String {
        let magnitude = abs(value)
        let decimals =
            magnitude >= 99.95 ? 0 : magnitude >= 9.995 ? 1 : magnitude >= 0.9995 ? 2 : magnitude >= 0.09995 ? 3 : 4
        return String(format: "%.\(decimals)f", value)
    }

    /// An axis label: ``compact(_:)`` without trailing zeros (`50k`, `2.5`, `0`).
    static func tick(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude >= 999.5e3 { return trimmed(significant(value / 1e6)) + "M" }
        if magnitude >= 999.5 { return trimmed(significant(value / 1e3)) + "k" }
        return value == 0 ? "0" : trimmed(significant(value))
    }

    /// A latency axis label: ``duration(microseconds:)`` without trailing zeros (`500 µs`,
    /// `2 ms`, `1 s`).
    static func durationTick(microseconds value: Double) -> String {
        if value >= 999.5e3 { return trimmed(significant(value / 1e6)) + " s" }
        if value >= 999.5 { return trimmed(significant(value / 1e3)) + " ms" }
        return trimmed(significant(value)) + " µs"
    }

    /// `2.50` as `2.5`, `5.00` as `5`.
    private static func trimmed(_ text: String) -> String {
        guard text.contains(".") else { return text }
        var text = Substring(text)
        while text.hasSuffix("0") { text = text.dropLast() }
        if text.hasSuffix(".") { text = text.dropLast() }
        return String(text)
    }

    /// A whole number with thousands separators: `138,462`.
    static func grouped(_ value: Double) -> String {
        let digits = String(format: "%.0f", value.rounded())
        let negative = digits.hasPrefix("-")
        var body = Array(negative ? digits.dropFirst() : digits[...])
        var index = body.count - 3
        while index > 0 {
            body.insert(",", at: index)
            index -= 3
        }
        return (negative ? "-" : "") + String(body)
    }

    /// A latency: `25.3 µs`, `1.43 ms`, `1.45 s`.
    static func duration(microseconds value: Double) -> String {
        if value >= 999.5e3 { return significant(value / 1e6) + " s" }
        if value >= 999.5 { return significant(value / 1e3) + " ms" }
        return significant(value) + " µs"
    }

    /// `0.93x`.
    static func ratio(_ value: Double) -> String { String(format: "%.2fx", value) }

    /// A share as a percentage: `4.2%`.
    static func percent(_ share: Double) -> String {
        String(format: share * 100 >= 9.95 ? "%.0f%%" : "%.1f%%", share * 100)
    }

    /// A percentile's label: `p50`, `p99.9`.
    static func percentile(_ value: Double) -> String {
        value == value.rounded() ? "p\(Int(value))" : "p" + String(format: "%g", value)
    }
}

extension String {
    /// The text with the characters that mean markup in HTML and XML escaped, fit for
    /// element content and quoted attribute values.
    var htmlEscaped: String {
        var escaped = ""
        escaped.reserveCapacity(utf8.count)
        for character in self {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
