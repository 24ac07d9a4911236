/// One entry of `scripts/resp-bench.py --json`: a server under one redis-benchmark test and
/// pipeline depth, with every repetition's figures.
struct RESPBenchRecord: Codable, Equatable, Sendable {
    var server: String
    /// redis-benchmark's `-t` test: `ping_inline`, `ping_mbulk`, `set`, `get`.
    var test: String
    /// redis-benchmark's `-P`.
    var pipeline: Int
    var runs: [Run]

    /// One redis-benchmark run: its rate and latency percentiles (`--csv`), and the
    /// server's CPU time per request from /proc.
    struct Run: Codable, Equatable, Sendable {
        var requestsPerSecond: Double
        var p99Milliseconds: Double
        var cpuMicrosecondsPerRequest: Double
        /// Recorded by the script since it keeps every percentile of the CSV line.
        var p50Milliseconds: Double?
        var p95Milliseconds: Double?

        enum CodingKeys: String, CodingKey {
            case requestsPerSecond = "rps"
            case p99Milliseconds = "p99_ms"
            case cpuMicrosecondsPerRequest = "cpu_us_per_request"
            case p50Milliseconds = "p50_ms"
            case p95Milliseconds = "p95_ms"
        }
    }

    /// The report's case name: `get -P 16`.
    var caseName: String { "\(test) -P \(pipeline)" }
}

extension SuiteResults {
    /// The "resp" suite of `scripts/resp-bench.py --json` entries, set against
    /// redis-server when it was measured. The script fails as a whole when a run fails,
    /// so every run it wrote counts.
    static func respSuite(from records: [RESPBenchRecord]) -> SuiteResults {
        let yardstick = "redis-server"
        var measurements: [Measurement] = []
        // The script ran every case of one server in a row, repetition by repetition; the
        // runs of an entry are in the order of the repetitions.
        for record in records {
            for (index, run) in record.runs.enumerated() {
                let latency: [LatencyPoint] = [
                    (50, run.p50Milliseconds), (95, run.p95Milliseconds), (99, run.p99Milliseconds),
                ]
                .compactMap { percentile, milliseconds in
                    guard let milliseconds, milliseconds > 0 else { return nil }
                    return LatencyPoint(percentile: percentile, microseconds: milliseconds * 1000)
                }
                measurements.append(
                    Measurement(
                        server: record.server,
                        caseName: record.caseName,
                        repetition: index + 1,
                        throughput: run.requestsPerSecond,
                        cpuMicroseconds: run.cpuMicrosecondsPerRequest,
                        latency: latency,
                        failure: nil
                    )
                )
            }
        }
        return SuiteResults(
            name: "resp",
            throughputUnit: "requests",
            costUnit: "request",
            yardstick: records.contains { $0.server == yardstick } ? yardstick : nil,
            cases: orderedUnique(records.map(\.caseName)),
            measurements: measurements
        )
    }
}
