extension Comparison {
    /// Compares every server and case of `a` with the same in `b`, suites matched by name.
    /// Servers, cases and suites present in one run only become rows whose verdict is
    /// `missing`.
    ///
    /// - Parameters:
    ///   - floor: the smallest change flagged, as a share (0.02: 2%).
    ///   - metrics: what to compare; a metric neither run measured for a case gives no row.
    init(a: BenchResults, b: BenchResults, floor: Double, metrics: [ComparisonMetric] = ComparisonMetric.allCases) {
        self.floor = floor
        self.rows = []
        self.excluded = Self.failedRuns(a, label: "A") + Self.failedRuns(b, label: "B")
        for key in Self.keys(a, b) {
            let suiteA = a.suites.first { $0.name == key.suite }
            let suiteB = b.suites.first { $0.name == key.suite }
            guard let suite = suiteA ?? suiteB else { continue }
            for metric in metrics {
                let valuesA = suiteA.flatMap { Self.values(of: metric, in: $0, key) }
                let valuesB = suiteB.flatMap { Self.values(of: metric, in: $0, key) }
                if let row = Self.row(key, metric: metric, unit: metric.unit(in: suite), valuesA, valuesB, floor: floor)
                {
                    rows.append(row)
                }
            }
        }
    }

    /// A suite, server and case.
    struct Key: Hashable, Sendable {
        var suite: String
        var server: String
        var caseName: String
    }

    /// Every suite, server and case of either run: A's in its order (suites, then cases in
    /// the suite's order, then servers as they first appear), then those only B has.
    static func keys(_ a: BenchResults, _ b: BenchResults) -> [Key] {
        var keys: [Key] = []
        var seen: Set<Key> = []
        for results in [a, b] {
            for suite in results.suites {
                let cases = suite.cases + suite.measurements.map(\.caseName).filter { !suite.cases.contains($0) }
                var servers: [String] = []
                for measurement in suite.measurements where !servers.contains(measurement.server) {
                    servers.append(measurement.server)
                }
                for caseName in cases {
                    for server in servers
                    where suite.measurements.contains(where: {
                        $0.server == server && $0.caseName == caseName
                    }) {
                        let key = Key(suite: suite.name, server: server, caseName: caseName)
                        if seen.insert(key).inserted { keys.append(key) }
                    }
                }
            }
        }
        return keys
    }

    /// The metric's values over the good repetitions of `key` in `suite`; nil when the suite
    /// has no measurement of that server and case at all.
    static func values(of metric: ComparisonMetric, in suite: SuiteResults, _ key: Key) -> [Double]? {
        let runs = suite.measurements.filter { $0.server == key.server && $0.caseName == key.caseName }
        guard !runs.isEmpty else { return nil }
        return runs.filter { $0.failure == nil }.compactMap(metric.value(of:)).filter(\.isFinite)
    }

    /// The row for one metric, or nil when neither run has a value for it (and the metric is
    /// not throughput, whose absence in both is itself worth a row).
    static func row(
        _ key: Key,
        metric: ComparisonMetric,
        unit: String,
        _ valuesA: [Double]?,
        _ valuesB: [Double]?,
        floor: Double
    ) -> ComparisonRow? {
        let a = valuesA.flatMap(Spread.init)
        let b = valuesB.flatMap(Spread.init)
        var row = ComparisonRow(
            suite: key.suite,
            server: key.server,
            caseName: key.caseName,
            metric: metric,
            unit: unit,
            a: a,
            b: b,
            verdict: .missing
        )
        guard let a, let b else {
            if a == nil, b == nil {
                // Every run failed in both: said once, on the metric every suite measures.
                guard metric == .throughput else { return nil }
                row.note = missingNote(absent: "A", valuesA) + "; " + missingNote(absent: "B", valuesB)
            } else {
                row.note = a == nil ? missingNote(absent: "A", valuesA) : missingNote(absent: "B", valuesB)
            }
            return row
        }
        let judged = judge(a, b, higherIsBetter: metric.isHigherBetter, floor: floor)
        row.ratio = judged.ratio
        row.threshold = judged.threshold
        row.verdict = judged.verdict
        if a.count == 1 || b.count == 1 {
            let single = [a.count == 1 ? "A" : nil, b.count == 1 ? "B" : nil].compactMap { $0 }
            row.note = "single repetition in \(single.joined(separator: " and ")): noise unknown, floor only"
        }
        return row
    }

    /// Why run `absent` has no figures: it has no such server and case, or no good
    /// repetition with a value for the metric (all failed).
    private static func missingNote(absent: String, _ values: [Double]?) -> String {
        values == nil ? "not in \(absent)" : "no good repetition in \(absent)"
    }

    /// The verdict on B's median against A's.
    ///
    /// Flagged only when both hold: the change exceeds both runs' relative spreads and the
    /// floor together, and the runs' ranges are apart (every repetition of one beyond every
    /// repetition of the other).
    static func judge(
        _ a: Spread,
        _ b: Spread,
        higherIsBetter: Bool,
        floor: Double
    ) -> (ratio: Double?, threshold: Double, verdict: ComparisonRow.Verdict) {
        let threshold = a.relativeSpread + b.relativeSpread + floor
        guard a.median > 0 else {
            // No ratio to a zero: a change from nothing is a change only if B has something.
            let verdict: ComparisonRow.Verdict =
                b.median > 0 ? (higherIsBetter ? .improvement : .regression) : .withinNoise
            return (nil, threshold, verdict)
        }
        let ratio = b.median / a.median
        guard abs(ratio - 1) > threshold, a.isSeparated(from: b) else { return (ratio, threshold, .withinNoise) }
        let isBetter = (ratio > 1) == higherIsBetter
        return (ratio, threshold, isBetter ? .improvement : .regression)
    }

    /// Every failed repetition of `results`, labelled with the run it comes from.
    static func failedRuns(_ results: BenchResults, label: String) -> [ExcludedRun] {
        results.suites.flatMap { suite in
            suite.measurements.compactMap { measurement in
                measurement.failure.map {
                    ExcludedRun(
                        run: label,
                        suite: suite.name,
                        server: measurement.server,
                        caseName: measurement.caseName,
                        repetition: measurement.repetition,
                        failure: $0
                    )
                }
            }
        }
    }
}
