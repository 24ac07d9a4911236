/// The benchmark report: one self-contained HTML page (inline CSS and SVG, no script, no
/// reference to anything outside the file) with the conditions of the run, then per suite
/// its charts and a table of the numbers.
struct HTMLReport: Sendable {
    var results: BenchResults
    var title: String

    static let defaultTitle = "AsyncUringSocket benchmarks"

    init(_ results: BenchResults, title: String = HTMLReport.defaultTitle) {
        self.results = results
        self.title = title
    }

    /// The page.
    func render() -> String {
        let palette = ServerPalette(results.suites)
        let summaries = results.suites.map(SuiteSummary.init)
        var parts = [
            "<!DOCTYPE html>",
            "<html lang=\"en\">",
            "<head>",
            "<meta charset=\"utf-8\">",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
            "<title>\(title.htmlEscaped)</title>",
            "<style>\n\(Self.style)</style>",
            "</head>",
            "<body>",
            "<header><h1>\(title.htmlEscaped)</h1>\(navigation(summaries))</header>",
            conditionsSection(),
        ]
        for summary in summaries {
            parts.append(suiteSection(summary, palette: palette))
        }
        parts.append(
            "<footer>Bars: median of the good runs; whiskers: lowest to highest run; dots: each run; "
                + "dashed line: the yardstick's median; labels: the median's ratio to the yardstick's. "
                + "Failed runs are red crosses and never enter a median. Hover for figures. The JSON beside this "
                + "file holds every run.</footer>"
        )
        parts.append("</body>\n</html>\n")
        return parts.joined(separator: "\n")
    }

    private func navigation(_ summaries: [SuiteSummary]) -> String {
        guard summaries.count > 1 else { return "" }
        let links = summaries.map { "<a href=\"#suite-\($0.suite.name.htmlEscaped)\">\($0.suite.name.htmlEscaped)</a>" }
        return "<nav>" + links.joined(separator: " ") + "</nav>"
    }

    /// Kernel, CPU, Swift, pinning, interference, date, commit.
    func conditionsSection() -> String {
        let conditions = results.conditions
        var rows: [(String, String)] = [
            ("Date", conditions.date),
            ("Kernel", conditions.kernel),
            ("CPU", "\(conditions.cpuModel), \(conditions.cpuCount) CPUs"),
            ("Swift", conditions.swiftVersion),
            ("Pinning", conditions.pinningText),
        ]
        if results.suites.contains(where: { $0.pinning != nil }) { rows[4].1 += " (suites that differ say so)" }
        rows.append(("Interference", conditions.interference.map(Self.interferenceText) ?? "not measured"))
        if let steal = conditions.steal { rows.append(("Steal", "\(ReportFormat.percent(steal)) of one CPU")) }
        rows.append(("Commit", conditions.commit ?? "unknown"))
        let items = rows.map { "<dt>\($0.0.htmlEscaped)</dt><dd>\($0.1.htmlEscaped)</dd>" }.joined()
        let warning = (conditions.interference ?? 0) > 0.05 ? " warn" : ""
        return "<section class=\"conditions\(warning)\"><h2>Conditions</h2><dl>\(items)</dl></section>"
    }

    static func interferenceText(_ share: Double) -> String {
        "\(ReportFormat.percent(share)) of one CPU used by other processes during the measured runs (median)"
            + (share > 0.05 ? ": the figures carry noise" : "")
    }

    /// A suite's heading, legend, charts, table and failures.
    func suiteSection(_ summary: SuiteSummary, palette: ServerPalette) -> String {
        let suite = summary.suite
        var parts = [
            "<section class=\"suite\" id=\"suite-\(suite.name.htmlEscaped)\" data-suite=\"\(suite.name.htmlEscaped)\">",
            "<h2>\(suite.name.htmlEscaped)</h2>",
            "<p class=\"about\">\(about(summary).htmlEscaped)</p>",
            legend(summary, palette: palette),
            figure(
                BarChart(summary: summary, figure: .throughput, palette: palette).svg(),
                caption: throughputCaption(suite)
            ),
        ]
        if summary.hasCPU {
            let caption = "Server CPU time per \(suite.costUnit ?? "operation") (lower is better)"
            parts.append(figure(BarChart(summary: summary, figure: .cpu, palette: palette).svg(), caption: caption))
        }
        if summary.hasLatency {
            let charts = summary.cases.map { LatencyChart(summary: summary, caseName: $0, palette: palette).svg() }
            parts.append(
                "<figure class=\"latency\"><figcaption>Latency percentiles: each point the median over the good runs "
                    + "(log scale; lower is better)</figcaption>"
                    + "<div class=\"grid\">\(charts.joined(separator: "\n"))</div></figure>"
            )
        }
        parts.append(table(summary))
        parts.append(failureList(summary))
        parts.append("</section>")
        return parts.joined(separator: "\n")
    }

    private func about(_ summary: SuiteSummary) -> String {
        let suite = summary.suite
        var text = "\(summary.servers.count) servers, \(summary.cases.count) cases, "
        text += "up to \(summary.repetitions) runs each"
        if let yardstick = suite.yardstick { text += "; yardstick: \(yardstick)" }
        if let pinning = suite.pinning { text += "; pinning: \(pinning)" }
        let failures = summary.failures.count
        if failures > 0 { text += "; \(failures) failed run\(failures == 1 ? "" : "s")" }
        return text + "."
    }

    private func throughputCaption(_ suite: SuiteResults) -> String {
        let label = suite.throughputLabel
        return "\(label.prefix(1).uppercased())\(label.dropFirst()) (higher is better)"
    }

    private func figure(_ svg: String, caption: String) -> String {
        "<figure><figcaption>\(caption.htmlEscaped)</figcaption>\(svg)</figure>"
    }

    private func legend(_ summary: SuiteSummary, palette: ServerPalette) -> String {
        let items = summary.servers.map { server in
            let yardstick = server == summary.suite.yardstick ? " <em>(yardstick)</em>" : ""
            return "<li data-server=\"\(server.htmlEscaped)\"><span class=\"swatch\""
                + " style=\"background:\(palette.colour(of: server))\"></span>\(server.htmlEscaped)\(yardstick)</li>"
        }
        return "<ul class=\"legend\">\(items.joined())</ul>"
    }

    private func failureList(_ summary: SuiteSummary) -> String {
        let failures = summary.failures
        guard !failures.isEmpty else { return "" }
        let items = failures.map { run in
            "<li>\(run.server.htmlEscaped), \(run.caseName.htmlEscaped), run \(run.repetition): "
                + "\((run.failure ?? "failed").htmlEscaped)</li>"
        }
        return "<details class=\"failures\" open><summary>Failed runs (\(failures.count))</summary>"
            + "<ul>\(items.joined())</ul></details>"
    }
}
