import Foundation

/// Two runs set side by side, run B against run A: per suite, server, case and metric, B's
/// median over A's, the noise of each run, and whether the change is beyond that noise.
///
/// A change is flagged only when it is larger than the two runs' noise together plus a floor
/// (the ratio's distance from 1 exceeds A's relative half-range + B's + the floor), and when
/// no repetition of one run lies within the range of the other's. A run of a single
/// repetition shows no noise of its own: only the floor (and the other run's spread) guards
/// it, and the row says so.
struct Comparison: Codable, Equatable, Sendable {
    /// The smallest change flagged, as a share (0.02: 2%), whatever the runs' spread.
    var floor: Double
    var rows: [ComparisonRow]
    /// The runs that failed, left out of the figures.
    var excluded: [ExcludedRun]

    /// Whether some row is a regression: what the exit status gates on.
    var hasRegression: Bool { rows.contains { $0.verdict == .regression } }
}

/// What `compare` measures of each server and case.
enum ComparisonMetric: String, Codable, CaseIterable, Sendable {
    case throughput
    case cpu
    case p99

    /// Whether a larger value is better (throughput) or worse (CPU per operation, latency).
    var isHigherBetter: Bool { self == .throughput }

    /// The column header's unit.
    func unit(in suite: SuiteResults) -> String {
        switch self {
        case .throughput: "\(suite.throughputUnit)/s"
        case .cpu: "us CPU/\(suite.costUnit ?? "op")"
        case .p99: "us"
        }
    }

    /// The metric's value in one measurement, when it has one.
    func value(of measurement: Measurement) -> Double? {
        switch self {
        case .throughput: measurement.throughput
        case .cpu: measurement.cpuMicroseconds
        case .p99: measurement.latency.first { $0.percentile == 99 }?.microseconds
        }
    }

    /// `throughput,cpu,p99`: each once.
    static func parseList(_ text: String) throws -> [ComparisonMetric] {
        var metrics: [ComparisonMetric] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = item.trimmingCharacters(in: .whitespaces)
            guard let metric = ComparisonMetric(rawValue: name) else {
                throw RunOptionsError(
                    "unknown metric '\(name)'; choose from \(allCases.map(\.rawValue).joined(separator: ","))"
                )
            }
            guard !metrics.contains(metric) else { throw RunOptionsError("metric \(name) given twice") }
            metrics.append(metric)
        }
        return metrics
    }
}

/// One server's figures for one metric in one case, in both runs.
struct ComparisonRow: Codable, Equatable, Sendable {
    var suite: String
    var server: String
    var caseName: String
    var metric: ComparisonMetric
    /// The metric's unit, e.g. "requests/s", "us CPU/request".
    var unit: String
    /// Nil when the run has no good repetition of this server and case.
    var a: Spread?
    var b: Spread?
    /// B's median over A's.
    var ratio: Double?
    /// The change the verdict asks for: both runs' relative spreads plus the floor.
    var threshold: Double?
    var verdict: Verdict
    /// Why the verdict is weaker than it looks: a single repetition, all runs failed.
    var note: String?

    enum Verdict: String, Codable, Sendable {
        case regression
        case improvement
        case withinNoise = "within noise"
        case missing
    }
}

/// A failed repetition, left out of the medians.
struct ExcludedRun: Codable, Equatable, Sendable {
    /// "A" or "B".
    var run: String
    var suite: String
    var server: String
    var caseName: String
    var repetition: Int
    var failure: String
}
