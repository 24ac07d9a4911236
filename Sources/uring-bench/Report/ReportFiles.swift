import Foundation

/// Writes a report: the HTML page and the ``BenchResults`` JSON it was drawn from.
enum ReportFiles {
    /// The JSON's path beside a report at `htmlPath`: `runs.html` gives `runs.json`, any
    /// other name gets `.json` appended.
    static func jsonPath(besides htmlPath: String) -> String {
        htmlPath.hasSuffix(".html") ? String(htmlPath.dropLast(".html".count)) + ".json" : htmlPath + ".json"
    }

    /// Writes the page to `htmlPath` and, when given, the results to `jsonPath`, making
    /// their folders when missing.
    static func write(_ results: BenchResults, title: String, htmlPath: String, jsonPath: String?) throws {
        if let jsonPath {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try writeMakingFolder(encoder.encode(results), to: jsonPath)
        }
        try writeMakingFolder(Data(HTMLReport(results, title: title).render().utf8), to: htmlPath)
    }

    private static func writeMakingFolder(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }

    /// The report of one runner's suites: the conditions gathered when it started, with the
    /// interference of its runs. Writes `htmlPath` and the JSON beside it.
    /// - Returns: the JSON's path.
    static func writeRun(_ suites: [SuiteResults], conditions: RunConditions, htmlPath: String) throws -> String {
        let results = BenchResults.merging(
            [.results(BenchResults(conditions: conditions, suites: suites))],
            fallback: conditions
        )
        let jsonPath = jsonPath(besides: htmlPath)
        try write(results, title: HTMLReport.defaultTitle, htmlPath: htmlPath, jsonPath: jsonPath)
        return jsonPath
    }
}
