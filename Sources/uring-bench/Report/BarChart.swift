/// A grouped bar chart of one figure of a suite (operations per second, or server CPU per
/// operation): a group per case, a bar per server at the median of its good runs, a whisker
/// from the lowest to the highest run, a dot per run, the yardstick's median as a dashed
/// line across the group and each bar's ratio to it above the bar. Failed runs are crosses
/// at the foot of their bar, never in the bar.
struct BarChart: Sendable {
    enum Figure: Sendable {
        case throughput
        case cpu
    }

    var summary: SuiteSummary
    var figure: Figure
    var palette: ServerPalette

    private let barGap = 4.0
    /// The width the groups share.
    private let targetPlotWidth = 880.0
    private let left = 72.0
    private let right = 16.0
    private let top = 30.0
    private let plotHeight = 220.0
    private let bottom = 46.0

    init(summary: SuiteSummary, figure: Figure, palette: ServerPalette) {
        self.summary = summary
        self.figure = figure
        self.palette = palette
    }

    var className: String { figure == .throughput ? "throughput" : "cpu" }

    /// What the y axis counts.
    var axisTitle: String {
        switch figure {
        case .throughput: summary.suite.throughputLabel
        case .cpu: "server CPU µs per \(summary.suite.costUnit ?? "operation")"
        }
    }

    func spread(_ cell: SuiteSummary.Cell) -> Spread? {
        figure == .throughput ? cell.throughput : cell.cpuMicroseconds
    }

    func ratio(_ cell: SuiteSummary.Cell) -> Double? {
        figure == .throughput ? cell.throughputRatio : cell.cpuRatio
    }

    func valueLabel(_ value: Double) -> String {
        figure == .throughput ? ReportFormat.compact(value) : ReportFormat.significant(value)
    }

    /// Bars share the plot's width, from 18 to 40 points each, with at least 36 between
    /// groups.
    private var barWidth: Double {
        let servers = Double(max(1, summary.servers.count))
        let perGroup = targetPlotWidth / Double(max(1, summary.cases.count)) - 36
        return min(40, max(18, (perGroup - (servers - 1) * barGap) / servers))
    }

    private var groupWidth: Double {
        Double(summary.servers.count) * barWidth + Double(max(0, summary.servers.count - 1)) * barGap
    }

    /// The space between groups: at least 36, more when the bars leave room.
    private var groupGap: Double {
        max(36, (targetPlotWidth - Double(summary.cases.count) * groupWidth) / Double(max(1, summary.cases.count)))
    }

    private var plotWidth: Double { Double(summary.cases.count) * (groupWidth + groupGap) }
    private var width: Double { left + plotWidth + right }
    private var height: Double { top + plotHeight + bottom }

    private var axis: LinearAxis {
        let highest =
            summary.cases.flatMap { caseName in
                summary.servers.compactMap { summary.cell(server: $0, caseName: caseName).flatMap(spread)?.maximum }
            }.max() ?? 1
        return LinearAxis(upTo: highest * 1.05)
    }

    private func y(_ value: Double) -> Double { top + plotHeight * (1 - axis.fraction(value)) }

    private func groupStart(_ caseIndex: Int) -> Double {
        left + Double(caseIndex) * (groupWidth + groupGap) + groupGap / 2
    }

    private func barX(caseIndex: Int, serverIndex: Int) -> Double {
        groupStart(caseIndex) + Double(serverIndex) * (barWidth + barGap)
    }

    /// The chart as an `<svg>` element.
    func svg() -> String {
        let suite = summary.suite.name
        var parts = [
            "<svg class=\"chart \(className)\" data-suite=\"\(suite.htmlEscaped)\" role=\"img\""
                + " viewBox=\"0 0 \(SVGText.number(width)) \(SVGText.number(height))\""
                + " width=\"\(SVGText.number(width))\" height=\"\(SVGText.number(height))\">",
            SVGText.title("\(suite): \(axisTitle)"),
        ]
        parts.append(yAxis())
        parts.append(caseLabelsAndYardsticks())
        for (serverIndex, server) in summary.servers.enumerated() {
            parts.append(series(server, serverIndex: serverIndex))
        }
        parts.append(SVGText.line(left, top + plotHeight, left + plotWidth, top + plotHeight, className: "baseline"))
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }

    private func yAxis() -> String {
        var parts = ["<g class=\"axis y\">"]
        for tick in axis.ticks {
            parts.append(SVGText.line(left, y(tick), left + plotWidth, y(tick), className: "grid"))
            parts.append(
                SVGText.text(ReportFormat.tick(tick), x: left - 6, y: y(tick) + 3.5, className: "tick", anchor: "end")
            )
        }
        let middle = top + plotHeight / 2
        parts.append(
            SVGText.text(
                axisTitle,
                x: 14,
                y: middle,
                className: "axis-title",
                extra: " transform=\"rotate(-90 14 \(SVGText.number(middle)))\""
            )
        )
        parts.append("</g>")
        return parts.joined(separator: "\n")
    }

    private func caseLabelsAndYardsticks() -> String {
        var parts = ["<g class=\"cases\">"]
        for (index, caseName) in summary.cases.enumerated() {
            let start = groupStart(index)
            parts.append(
                SVGText.text(caseName, x: start + groupWidth / 2, y: top + plotHeight + 18, className: "case-label")
            )
            guard let yardstick = summary.suite.yardstick,
                let reference = summary.cell(server: yardstick, caseName: caseName).flatMap(spread)
            else { continue }
            parts.append(
                "<g class=\"yardstick\" data-case=\"\(caseName.htmlEscaped)\">"
                    + SVGText.title("\(yardstick) median: \(valueLabel(reference.median))")
                    + SVGText.line(
                        start - 6,
                        y(reference.median),
                        start + groupWidth + 6,
                        y(reference.median),
                        className: "yardstick-line"
                    ) + "</g>"
            )
        }
        parts.append("</g>")
        return parts.joined(separator: "\n")
    }

    private func series(_ server: String, serverIndex: Int) -> String {
        let colour = palette.colour(of: server)
        var parts = ["<g class=\"series\" data-server=\"\(server.htmlEscaped)\" fill=\"\(colour)\">"]
        for (caseIndex, caseName) in summary.cases.enumerated() {
            guard let cell = summary.cell(server: server, caseName: caseName) else { continue }
            let x = barX(caseIndex: caseIndex, serverIndex: serverIndex)
            if let spread = spread(cell) {
                parts.append(bar(cell, spread: spread, x: x))
            } else if figure == .throughput || !cell.failed.isEmpty {
                // Written upwards from above the crosses.
                let labelX = x + barWidth / 2 + 3.5
                let labelY = top + plotHeight - 12 - 9 * Double((cell.failed.count + 2) / 3)
                parts.append(
                    SVGText.text(
                        cell.failed.isEmpty ? "no data" : "failed",
                        x: labelX,
                        y: labelY,
                        className: "failed-label",
                        anchor: "start",
                        extra: " transform=\"rotate(-90 \(SVGText.number(labelX)) \(SVGText.number(labelY)))\""
                    )
                )
            }
            parts.append(contentsOf: failedMarks(cell, x: x))
        }
        parts.append("</g>")
        return parts.joined(separator: "\n")
    }

    /// The median bar, its whisker, a dot per run and the ratio label.
    private func bar(_ cell: SuiteSummary.Cell, spread: Spread, x: Double) -> String {
        let center = x + barWidth / 2
        var tooltip = "\(cell.server), \(cell.caseName): median \(valueLabel(spread.median)) \(axisTitle)"
        tooltip += ", \(spread.values.count) runs from \(valueLabel(spread.minimum)) to \(valueLabel(spread.maximum))"
        if let ratio = ratio(cell), let yardstick = summary.suite.yardstick {
            tooltip += "; \(ReportFormat.ratio(ratio)) \(yardstick)'s"
        }
        var parts = [
            "<rect class=\"bar\" data-case=\"\(cell.caseName.htmlEscaped)\" data-median=\"\(spread.median)\""
                + " x=\"\(SVGText.number(x))\" y=\"\(SVGText.number(y(spread.median)))\""
                + " width=\"\(SVGText.number(barWidth))\""
                + " height=\"\(SVGText.number(top + plotHeight - y(spread.median)))\">"
                + SVGText.title(tooltip) + "</rect>"
        ]
        if spread.values.count > 1 {
            parts.append(SVGText.line(center, y(spread.minimum), center, y(spread.maximum), className: "whisker"))
            for value in [spread.minimum, spread.maximum] {
                parts.append(SVGText.line(center - 5, y(value), center + 5, y(value), className: "whisker"))
            }
        }
        for (index, value) in spread.values.enumerated() {
            let offset = spread.values.count == 1 ? 0 : (Double(index) / Double(spread.values.count - 1) - 0.5) * 12
            parts.append(
                "<circle class=\"run\" cx=\"\(SVGText.number(center + offset))\" cy=\"\(SVGText.number(y(value)))\""
                    + " r=\"2.2\">" + SVGText.title("\(cell.server), \(cell.caseName): \(valueLabel(value))")
                    + "</circle>"
            )
        }
        let label = ratio(cell).map(ReportFormat.ratio) ?? valueLabel(spread.median)
        let labelY = min(y(spread.maximum), y(spread.median)) - 5
        if barWidth >= 28 {
            parts.append(SVGText.text(label, x: center, y: labelY, className: "ratio"))
        } else {
            // Narrow bars: the label reads upwards, so that neighbours do not overlap.
            let rotation = " transform=\"rotate(-90 \(SVGText.number(center + 3)) \(SVGText.number(labelY)))\""
            parts.append(
                SVGText.text(label, x: center + 3, y: labelY, className: "ratio", anchor: "start", extra: rotation)
            )
        }
        return parts.joined(separator: "\n")
    }

    /// A red cross per failed run at the foot of the server's bar, three to a row.
    private func failedMarks(_ cell: SuiteSummary.Cell, x: Double) -> [String] {
        cell.failed.enumerated().map { index, run in
            let centerX = x + barWidth / 2 + Double(index % 3 - 1) * min(9, barWidth / 3)
            let centerY = top + plotHeight - 7 - Double(index / 3) * 9
            return "<path class=\"failed-run\" d=\"M\(SVGText.number(centerX - 3.5)) \(SVGText.number(centerY - 3.5))"
                + " l7 7 m0 -7 l-7 7\">"
                + SVGText.title("\(cell.server), \(cell.caseName), run \(run.repetition) failed: \(run.failure ?? "")")
                + "</path>"
        }
    }
}
