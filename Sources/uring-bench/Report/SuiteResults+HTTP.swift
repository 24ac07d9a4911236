extension SuiteResults {
    /// The "http" suite of `uring-bench http-run --json` records, set against nginx when it
    /// was measured; the cases are the load shapes.
    static func httpSuite(from records: [HTTPRunRecord]) -> SuiteResults {
        let yardstick = HTTPServerKind.nginx.rawValue
        return SuiteResults(
            name: "http",
            throughputUnit: "requests",
            costUnit: records.contains { $0.serverMicrosecondsPerRequest != nil } ? "request" : nil,
            yardstick: records.contains { $0.server == yardstick } ? yardstick : nil,
            cases: orderedUnique(records.map(\.shape.rawValue)),
            measurements: records.map(Measurement.init(http:))
        )
    }
}

extension Measurement {
    /// One wrk run; the latency points are wrk's percentiles (50, 75, 90, 99), without the
    /// ones it printed as zero.
    init(http record: HTTPRunRecord) {
        let latency = (record.wrk?.latencyMicroseconds ?? [:])
            .map { LatencyPoint(percentile: Double($0.key), microseconds: $0.value) }
            .filter { $0.microseconds > 0 }
            .sorted { $0.percentile < $1.percentile }
        self.init(
            server: record.server,
            caseName: record.shape.rawValue,
            repetition: record.repetition,
            throughput: record.requestsPerSecond ?? 0,
            cpuMicroseconds: record.serverMicrosecondsPerRequest,
            latency: latency,
            failure: record.isSuccess ? nil : record.problems.joined(separator: "; "),
            interference: record.interference,
            steal: record.steal
        )
    }
}
