/// The latency percentile curves of one case of a suite: a line per server through the
/// medians (over its good runs) of each percentile it reports, percentiles on a "nines"
/// axis (p50, p90, p99, p99.9 evenly apart), latency on a logarithmic one.
struct LatencyChart: Sendable {
    var summary: SuiteSummary
    var caseName: String
    var palette: ServerPalette

    private let width = 290.0
    private let height = 236.0
    private let left = 54.0
    private let right = 14.0
    private let top = 26.0
    private let bottom = 34.0

    init(summary: SuiteSummary, caseName: String, palette: ServerPalette) {
        self.summary = summary
        self.caseName = caseName
        self.palette = palette
    }

    private var cells: [SuiteSummary.Cell] {
        summary.servers.compactMap { summary.cell(server: $0, caseName: caseName) }.filter { !$0.latency.isEmpty }
    }

    private var plotWidth: Double { width - left - right }
    private var plotHeight: Double { height - top - bottom }

    /// The chart as an `<svg>` element.
    func svg() -> String {
        let points = cells.flatMap(\.latency)
        let xAxis = NinesAxis(covering: points.map(\.percentile))
        let yAxis = LogAxis(covering: points.map(\.microseconds))
        var parts = [
            "<svg class=\"chart latency\" data-suite=\"\(summary.suite.name.htmlEscaped)\""
                + " data-case=\"\(caseName.htmlEscaped)\" role=\"img\""
                + " viewBox=\"0 0 \(SVGText.number(width)) \(SVGText.number(height))\""
                + " width=\"\(SVGText.number(width))\" height=\"\(SVGText.number(height))\">",
            SVGText.title("\(summary.suite.name) \(caseName): latency percentiles"),
            SVGText.text(caseName, x: left + plotWidth / 2, y: 16, className: "chart-title"),
        ]
        parts.append(axes(xAxis, yAxis))
        for cell in cells {
            parts.append(series(cell, xAxis, yAxis))
        }
        if cells.isEmpty {
            parts.append(
                SVGText.text("no good run", x: left + plotWidth / 2, y: top + plotHeight / 2, className: "failed-label")
            )
        }
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }

    private func x(_ percentile: Double, _ axis: NinesAxis) -> Double { left + plotWidth * axis.fraction(percentile) }
    private func y(_ microseconds: Double, _ axis: LogAxis) -> Double {
        top + plotHeight * (1 - axis.fraction(microseconds))
    }

    private func axes(_ xAxis: NinesAxis, _ yAxis: LogAxis) -> String {
        var parts = ["<g class=\"axis\">"]
        for tick in yAxis.ticks {
            let position = y(tick, yAxis)
            parts.append(SVGText.line(left, position, left + plotWidth, position, className: "grid"))
            parts.append(
                SVGText.text(
                    ReportFormat.durationTick(microseconds: tick),
                    x: left - 5,
                    y: position + 3.5,
                    className: "tick",
                    anchor: "end"
                )
            )
        }
        for tick in xAxis.ticks {
            let position = x(tick, xAxis)
            parts.append(SVGText.line(position, top, position, top + plotHeight, className: "grid"))
            parts.append(
                SVGText.text(ReportFormat.percentile(tick), x: position, y: top + plotHeight + 15, className: "tick")
            )
        }
        parts.append(SVGText.line(left, top + plotHeight, left + plotWidth, top + plotHeight, className: "baseline"))
        parts.append(SVGText.line(left, top, left, top + plotHeight, className: "baseline"))
        parts.append(
            SVGText.text("percentile", x: left + plotWidth / 2, y: height - 4, className: "axis-title")
        )
        parts.append("</g>")
        return parts.joined(separator: "\n")
    }

    private func series(_ cell: SuiteSummary.Cell, _ xAxis: NinesAxis, _ yAxis: LogAxis) -> String {
        let colour = palette.colour(of: cell.server)
        let coordinates = cell.latency.map { (x($0.percentile, xAxis), y($0.microseconds, yAxis), $0) }
        var parts = [
            "<g class=\"series\" data-server=\"\(cell.server.htmlEscaped)\" stroke=\"\(colour)\" fill=\"\(colour)\">"
        ]
        if coordinates.count > 1 {
            let path = coordinates.map { "\(SVGText.number($0.0)),\(SVGText.number($0.1))" }.joined(separator: " ")
            parts.append("<polyline class=\"curve\" points=\"\(path)\"/>")
        }
        for (px, py, point) in coordinates {
            parts.append(
                "<circle class=\"point\" data-percentile=\"\(point.percentile)\" cx=\"\(SVGText.number(px))\""
                    + " cy=\"\(SVGText.number(py))\" r=\"2.6\">"
                    + SVGText.title(
                        "\(cell.server), \(caseName): \(ReportFormat.percentile(point.percentile)) "
                            + "\(ReportFormat.duration(microseconds: point.microseconds)) "
                            + "(median of \(cell.succeeded.count) runs)"
                    ) + "</circle>"
            )
        }
        parts.append("</g>")
        return parts.joined(separator: "\n")
    }
}
