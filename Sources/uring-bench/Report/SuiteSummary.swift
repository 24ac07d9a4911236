/// A suite's runs summarized per server and case: what the charts and the table show.
struct SuiteSummary: Sendable {
    var suite: SuiteResults
    /// The servers in the order they first appear in the runs.
    var servers: [String]
    /// The cases: the suite's, then any a run names that the suite does not list.
    var cases: [String]
    private var cells: [String: Cell]

    /// One server in one case over its repetitions. Failed runs are kept apart, never
    /// taken into the statistics.
    struct Cell: Sendable {
        var server: String
        var caseName: String
        var succeeded: [Measurement]
        var failed: [Measurement]
        var throughput: Spread?
        var cpuMicroseconds: Spread?
        /// The median of each percentile over the good runs that report it.
        var latency: [LatencyPoint]
        var interference: Double?
        /// The median's ratio to the yardstick's median in the same case.
        var throughputRatio: Double?
        var cpuRatio: Double?
    }

    init(_ suite: SuiteResults) {
        self.suite = suite
        servers = SuiteResults.orderedUnique(suite.measurements.map(\.server))
        cases = SuiteResults.orderedUnique(suite.cases + suite.measurements.map(\.caseName))
        var cells: [String: Cell] = [:]
        for server in servers {
            for caseName in cases {
                let runs = suite.measurements.filter { $0.server == server && $0.caseName == caseName }
                    .sorted { $0.repetition < $1.repetition }
                guard !runs.isEmpty else { continue }
                cells[Self.key(server, caseName)] = Self.makeCell(server: server, caseName: caseName, runs: runs)
            }
        }
        if let yardstick = suite.yardstick {
            for (key, cell) in cells {
                guard let reference = cells[Self.key(yardstick, cell.caseName)] else { continue }
                cells[key]?.throughputRatio = Self.ratio(cell.throughput, reference.throughput)
                cells[key]?.cpuRatio = Self.ratio(cell.cpuMicroseconds, reference.cpuMicroseconds)
            }
        }
        self.cells = cells
    }

    /// The runs of `server` in `caseName`, or nil when it was not measured there.
    func cell(server: String, caseName: String) -> Cell? { cells[Self.key(server, caseName)] }

    /// Every failed run, in the order of the cases, servers and repetitions.
    var failures: [Measurement] {
        cases.flatMap { caseName in servers.flatMap { cell(server: $0, caseName: caseName)?.failed ?? [] } }
    }

    /// Whether any good run measured the server's CPU.
    var hasCPU: Bool { cells.values.contains { $0.cpuMicroseconds != nil } }

    /// Whether any good run has a latency point.
    var hasLatency: Bool { cells.values.contains { !$0.latency.isEmpty } }

    /// The most repetitions any server made of any case.
    var repetitions: Int { cells.values.map { $0.succeeded.count + $0.failed.count }.max() ?? 0 }

    private static func key(_ server: String, _ caseName: String) -> String { "\(server)\u{0}\(caseName)" }

    private static func ratio(_ value: Spread?, _ reference: Spread?) -> Double? {
        guard let value, let reference, reference.median > 0 else { return nil }
        return value.median / reference.median
    }

    private static func makeCell(server: String, caseName: String, runs: [Measurement]) -> Cell {
        let succeeded = runs.filter { $0.failure == nil }
        let percentiles = Set(succeeded.flatMap { $0.latency.map(\.percentile) }).sorted()
        let latency = percentiles.compactMap { percentile -> LatencyPoint? in
            let values = succeeded.compactMap { run in run.latency.first { $0.percentile == percentile }?.microseconds }
            return uring_bench.median(values).map { LatencyPoint(percentile: percentile, microseconds: $0) }
        }
        return Cell(
            server: server,
            caseName: caseName,
            succeeded: succeeded,
            failed: runs.filter { $0.failure != nil },
            throughput: Spread(succeeded.map(\.throughput)),
            cpuMicroseconds: Spread(succeeded.compactMap(\.cpuMicroseconds)),
            latency: latency,
            interference: uring_bench.median(runs.compactMap(\.interference)),
            throughputRatio: nil,
            cpuRatio: nil
        )
    }
}
