import ArgumentParser
import AsyncUring
import Foundation

/// `uring-bench report`: merges the figures of any number of runs (the raw records of
/// `run --json`, `run --udp --json`, `http-run --json`, `scripts/resp-bench.py --json`, or
/// ``BenchResults`` files) into one ``BenchResults`` and draws it as one self-contained HTML
/// page.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Draw benchmark results as one self-contained HTML page.",
        discussion: """
            Each input's kind is told by its content: records of `run --json` (echo, or UDP with \
            --udp), of `http-run --json`, of `scripts/resp-bench.py --json`, or a results file \
            (what --json writes here, or what `run --report` writes beside its page). Suites of \
            the same name merge. Raw records carry no conditions: those of this machine now are \
            used (dated by the newest input's modification time), unless a results file brings \
            its own.
            """
    )

    @Option(help: "Write the report here.")
    var html: String

    @Option(
        help: "Write the merged results here, as JSON (default: beside the report, OUT.json, unless an input is there)."
    )
    var json: String?

    @Option(help: "The report's title.")
    var title = HTMLReport.defaultTitle

    @Argument(help: "JSON files of results or records.")
    var inputs: [String]

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one input JSON file") }
    }

    func run() async throws {
        do {
            let files = try inputs.map(ResultsFile.read)
            let fallback = await RunConditions.current(
                pinning: CPUPinning.detect(availableCPUs: RingGroup.availableCPUCount),
                date: latestModification(of: inputs) ?? Date()
            )
            let results = BenchResults.merging(files, fallback: fallback)
            let jsonPath = resultsPath()
            try ReportFiles.write(results, title: title, htmlPath: html, jsonPath: jsonPath)
            let runs = results.suites.map(\.measurements.count).reduce(0, +)
            note(
                "wrote \(html): \(results.suites.count) suites, \(runs) runs"
                    + (jsonPath.map { "; results in \($0)" } ?? "")
            )
        } catch {
            note("uring-bench report: \(error)")
            throw ExitCode.failure
        }
    }

    /// Where the merged results go: `--json`, else beside the report unless that is one of
    /// the inputs (which would be overwritten), else nowhere.
    func resultsPath() -> String? {
        if let json { return json }
        let beside = ReportFiles.jsonPath(besides: html)
        let standardized = { (path: String) in URL(fileURLWithPath: path).standardizedFileURL.path }
        guard !inputs.map(standardized).contains(standardized(beside)) else {
            note("not writing the results to \(beside): it is an input (give --json)")
            return nil
        }
        return beside
    }

    /// When the newest input was written: the end of the last run it holds.
    private func latestModification(of paths: [String]) -> Date? {
        paths.compactMap { try? FileManager.default.attributesOfItem(atPath: $0)[.modificationDate] as? Date }.max()
    }
}
