extension HTMLReport {
    /// The numbers behind a suite's charts: per case and server the runs, the medians, their
    /// spread and ratios to the yardstick, the latency medians.
    func table(_ summary: SuiteSummary) -> String {
        let suite = summary.suite
        let percentiles = Self.tablePercentiles(summary)
        var header = ["server", "case", "runs", suite.throughputHeading, "range", "spread"]
        if suite.yardstick != nil { header.append("vs \(suite.yardstick ?? "")") }
        if summary.hasCPU {
            header += ["CPU µs/\(suite.costUnit ?? "op")", "CPU spread"]
            if suite.yardstick != nil { header.append("CPU vs \(suite.yardstick ?? "")") }
        }
        header += percentiles.map(ReportFormat.percentile)
        header.append("interference")
        var rows: [String] = []
        for caseName in summary.cases {
            for server in summary.servers {
                guard let cell = summary.cell(server: server, caseName: caseName) else { continue }
                rows.append(row(cell, summary: summary, percentiles: percentiles))
            }
        }
        let head = header.map { "<th>\($0.htmlEscaped)</th>" }.joined()
        return "<div class=\"table-wrap\"><table class=\"numbers\" data-suite=\"\(suite.name.htmlEscaped)\">"
            + "<thead><tr>\(head)</tr></thead><tbody>\n\(rows.joined(separator: "\n"))\n</tbody></table></div>"
    }

    /// p50, p99 and p99.9 when some run reports them, else every percentile reported.
    static func tablePercentiles(_ summary: SuiteSummary) -> [Double] {
        let reported = Set(
            summary.cases.flatMap { caseName in
                summary.servers.flatMap {
                    summary.cell(server: $0, caseName: caseName)?.latency.map(\.percentile) ?? []
                }
            }
        )
        let preferred = [50, 99, 99.9].filter(reported.contains)
        return preferred.isEmpty ? reported.sorted() : preferred
    }

    private func row(_ cell: SuiteSummary.Cell, summary: SuiteSummary, percentiles: [Double]) -> String {
        let suite = summary.suite
        let total = cell.succeeded.count + cell.failed.count
        var values: [String] = [
            cell.server, cell.caseName,
            cell.failed.isEmpty ? "\(total)" : "\(cell.succeeded.count) of \(total) (\(cell.failed.count) failed)",
        ]
        values += spreadColumns(cell.throughput, format: ReportFormat.grouped)
        if suite.yardstick != nil { values.append(cell.throughputRatio.map(ReportFormat.ratio) ?? "-") }
        if summary.hasCPU {
            let cpu = spreadColumns(cell.cpuMicroseconds, format: ReportFormat.significant)
            values += [cpu[0], cpu[2]]
            if suite.yardstick != nil { values.append(cell.cpuRatio.map(ReportFormat.ratio) ?? "-") }
        }
        for percentile in percentiles {
            let point = cell.latency.first { $0.percentile == percentile }
            values.append(point.map { ReportFormat.duration(microseconds: $0.microseconds) } ?? "-")
        }
        values.append(cell.interference.map(ReportFormat.percent) ?? "-")
        let failed = cell.succeeded.isEmpty && !cell.failed.isEmpty ? " class=\"failed\"" : ""
        let cells = values.enumerated().map { index, value in
            index == 0
                ? "<th scope=\"row\" data-server=\"\(value.htmlEscaped)\">\(value.htmlEscaped)</th>"
                : "<td>\(value.htmlEscaped)</td>"
        }
        return "<tr\(failed)>\(cells.joined())</tr>"
    }

    /// Median, range and the range as a share of the median.
    private func spreadColumns(_ spread: Spread?, format: (Double) -> String) -> [String] {
        guard let spread else { return ["-", "-", "-"] }
        let range = spread.values.count > 1 ? "\(format(spread.minimum)) – \(format(spread.maximum))" : "-"
        let share =
            spread.values.count > 1 ? spread.relativeRange.map { "±" + ReportFormat.percent($0 / 2) } ?? "-" : "-"
        return [format(spread.median), range, share]
    }
}
