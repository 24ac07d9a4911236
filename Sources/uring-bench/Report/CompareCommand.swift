import ArgumentParser
import Foundation

/// `uring-bench compare A.json B.json`: run B against run A, server by server and case by
/// case, flagging only the changes beyond both runs' noise; the exit status is 1 when some
/// change is a regression, so CI can gate on it.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two runs' results; exit 1 when B regressed from A beyond the noise.",
        discussion: """
            A and B are BenchResults files (`uring-bench report --json`, `file-run --json`). For each \
            suite, server and case in both: B's median over A's, for throughput (higher is better), \
            server CPU per operation and p99 latency (lower is better). A change is flagged only when \
            it exceeds both runs' spread (half the range of their repetitions over the median) plus \
            --threshold, and no repetition of one run lies inside the other's range. With a single \
            repetition the run's noise is unknown and only the threshold guards it. Failed runs are \
            left out and listed. Exit status: 0 without regression, 1 with one, 64 for unusable input.
            """
    )

    @Argument(help: "The reference run (BenchResults JSON).")
    var a: String

    @Argument(help: "The run judged against it (BenchResults JSON).")
    var b: String

    @Option(help: "Comma-separated metrics to compare: throughput, cpu, p99.")
    var metric = ComparisonMetric.allCases.map(\.rawValue).joined(separator: ",")

    @Option(help: "The smallest change flagged, in percent, on top of both runs' spread.")
    var threshold: Double = 2

    @Option(help: "Also write the comparison to this file, as JSON.")
    var json: String?

    func validate() throws {
        do { _ = try ComparisonMetric.parseList(metric) } catch { throw ValidationError("--metric: \(error)") }
        guard threshold >= 0, threshold.isFinite else {
            throw ValidationError("--threshold must be a percentage of at least 0, not \(threshold)")
        }
    }

    func run() throws {
        let comparison: Comparison
        do {
            comparison = Comparison(
                a: try Self.load(a),
                b: try Self.load(b),
                floor: threshold / 100,
                metrics: try ComparisonMetric.parseList(metric)
            )
        } catch {
            note("uring-bench compare: \(error)")
            throw ExitCode.validationFailure
        }
        print(comparison.table)
        if let json {
            do {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try encoder.encode(comparison).write(to: URL(fileURLWithPath: json))
            } catch {
                note("uring-bench compare: cannot write \(json): \(error)")
                throw ExitCode.failure
            }
        }
        if comparison.hasRegression { throw ExitCode.failure }
    }

    /// The BenchResults format version this reader knows.
    static let readableVersion = 1

    /// Reads a BenchResults file.
    /// - Throws: ``RunOptionsError`` naming the file when it cannot be read or is not one.
    static func load(_ path: String) throws -> BenchResults {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw RunOptionsError("cannot read \(path): \(error.localizedDescription)")
        }
        let results: BenchResults
        do { results = try JSONDecoder().decode(BenchResults.self, from: data) } catch {
            throw RunOptionsError(
                "\(path) is not a BenchResults file (\(error)); "
                    + "`uring-bench report --json OUT.json RAW.json` makes one from a runner's raw records"
            )
        }
        guard results.version == readableVersion else {
            throw RunOptionsError(
                "\(path) has format version \(results.version); this uring-bench reads \(readableVersion)"
            )
        }
        return results
    }
}
