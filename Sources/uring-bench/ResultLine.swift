/// The `RESULT key=value ...` lines load generators end their output with.
enum ResultLine {
    static let prefix = "RESULT"

    /// `RESULT k1=v1 k2=v2 ...`, in the given order.
    static func make(_ fields: [(key: String, value: String)]) -> String {
        ([prefix] + fields.map { "\($0.key)=\($0.value)" }).joined(separator: " ")
    }

    /// The numeric fields of the last `RESULT` line in `output`; fields whose value is not a
    /// number are left out.
    /// - Returns: nil when no line starts with `RESULT `.
    static func parse(output: String) -> [String: Double]? {
        let lines = output.split(whereSeparator: \.isNewline)
        guard let line = lines.last(where: { $0.hasPrefix(prefix + " ") }) else { return nil }
        var fields: [String: Double] = [:]
        for token in line.dropFirst(prefix.count).split(separator: " ") {
            guard let equals = token.firstIndex(of: "=") else { continue }
            let key = String(token[..<equals])
            guard !key.isEmpty, let value = Double(token[token.index(after: equals)...]) else { continue }
            fields[key] = value
        }
        return fields
    }

    /// `value` with a fixed number of decimals (0 or more), without Foundation; non-finite
    /// values print as `0`.
    static func format(_ value: Double, decimals: Int = 1) -> String {
        guard value.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<max(0, decimals) { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e18 else { return "\(value)" }
        let units = Int64(scaled)
        let sign = value < 0 && units != 0 ? "-" : ""
        let whole = units / Int64(scale)
        guard decimals > 0 else { return "\(sign)\(whole)" }
        let fraction = String(units % Int64(scale))
        let padding = String(repeating: "0", count: decimals - fraction.count)
        return "\(sign)\(whole).\(padding)\(fraction)"
    }
}
