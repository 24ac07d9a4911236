extension Comparison {
    /// The comparison as aligned text: one line per row, then the tally, the failed runs left
    /// out, and the rule the verdicts follow.
    var table: String {
        let header = ["suite", "server", "case", "metric", "A", "B", "B/A", "noise", "verdict"]
        let body = rows.map { row in
            [
                row.suite, row.server, row.caseName, "\(row.metric.rawValue) (\(row.unit))",
                Self.cell(row.a), Self.cell(row.b),
                row.ratio.map { ResultLine.format($0, decimals: 3) + "x" } ?? "-",
                row.threshold.map { "+-" + Self.percent($0) } ?? "-",
                row.verdict.rawValue + (row.note.map { " (\($0))" } ?? ""),
            ]
        }
        var lines = [Self.align([header] + body), "", tally]
        if !excluded.isEmpty {
            lines.append("failed runs left out:")
            lines += excluded.map {
                "  \($0.run): \($0.suite) \($0.server) \($0.caseName) repetition \($0.repetition): \($0.failure)"
            }
        }
        lines.append(
            "flagged when B/A differs from 1 by more than both runs' spread (half their range over the median) "
                + "plus \(Self.percent(floor)), with no repetition of one inside the other's range"
        )
        return lines.joined(separator: "\n")
    }

    /// "1 regression, 2 improvements, 30 within noise, 1 missing".
    var tally: String {
        let counts = [
            (ComparisonRow.Verdict.regression, "regression", "regressions"),
            (.improvement, "improvement", "improvements"),
            (.withinNoise, "within noise", "within noise"),
            (.missing, "missing", "missing"),
        ].map { verdict, one, many in
            let count = rows.filter { $0.verdict == verdict }.count
            return "\(count) \(count == 1 ? one : many)"
        }
        return counts.joined(separator: ", ")
    }

    /// A run's median and its repetitions: "138462 (5)".
    private static func cell(_ spread: Spread?) -> String {
        guard let spread else { return "-" }
        let magnitude = abs(spread.median)
        let decimals = magnitude >= 1000 ? 0 : magnitude >= 10 ? 1 : 3
        return "\(ResultLine.format(spread.median, decimals: decimals)) (\(spread.count))"
    }

    /// 0.0412 as "4.1%".
    static func percent(_ share: Double) -> String {
        ResultLine.format(share * 100, decimals: 1) + "%"
    }

    /// Left-aligns the first four columns and right-aligns the figures, two spaces apart.
    private static func align(_ table: [[String]]) -> String {
        let columns = table.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in table.map { $0.count > column ? $0[column].count : 0 }.max() ?? 0 }
        return table.map { cells in
            var line = cells.enumerated().map { column, text in
                let padding = String(repeating: " ", count: widths[column] - text.count)
                return column < 4 || column == columns - 1 ? text + padding : padding + text
            }.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }
}
