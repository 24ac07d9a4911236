extension SuiteResults {
    /// The suites of `uring-bench run --json` records: "echo" for the TCP servers, "udp" for
    /// the UDP ones (`run --udp`), each set against its C yardstick when it was measured.
    /// A server the runner does not know counts as a TCP one.
    static func echoSuites(from records: [RunRecord]) -> [SuiteResults] {
        let isUDP = { (record: RunRecord) in ServerKind(rawValue: record.server)?.transport == .udp }
        let tcp = records.filter { !isUDP($0) }
        let udp = records.filter(isUDP)
        var suites: [SuiteResults] = []
        if !tcp.isEmpty { suites.append(echoSuite(named: "echo", yardstick: ServerKind.echoUring.rawValue, tcp)) }
        if !udp.isEmpty { suites.append(echoSuite(named: "udp", yardstick: ServerKind.udpEcho.rawValue, udp)) }
        return suites
    }

    private static func echoSuite(named name: String, yardstick: String, _ records: [RunRecord]) -> SuiteResults {
        SuiteResults(
            name: name,
            throughputUnit: "round trips",
            costUnit: records.contains { $0.serverMicrosecondsPerRoundTrip != nil } ? "round trip" : nil,
            yardstick: records.contains { $0.server == yardstick } ? yardstick : nil,
            cases: orderedUnique(records.map(\.benchCase.description)),
            measurements: records.map(Measurement.init(echo:))
        )
    }

    /// The values in the order they first appear, each once.
    static func orderedUnique(_ values: [String]) -> [String] {
        var seen: Set<String> = []
        return values.filter { seen.insert($0).inserted }
    }
}

extension Measurement {
    /// One echo or UDP run. The latency points are every `pNN_us` figure of the load
    /// generator's `RESULT` line (p50, p90, p99, p99.9 from `echo-client`'s HDR histogram;
    /// the C generators report fewer), or the record's own p50, p99 and p99.9.
    init(echo record: RunRecord) {
        var latency = Self.latencyPoints(fromResultFields: record.result)
        if latency.isEmpty {
            latency = [
                LatencyPoint(percentile: 50, microseconds: record.p50Microseconds),
                LatencyPoint(percentile: 99, microseconds: record.p99Microseconds),
                LatencyPoint(percentile: 99.9, microseconds: record.p999Microseconds),
            ].filter { $0.microseconds > 0 }
        }
        self.init(
            server: record.server,
            caseName: record.benchCase.description,
            repetition: record.repetition,
            throughput: record.roundTripsPerSecond,
            cpuMicroseconds: record.serverMicrosecondsPerRoundTrip,
            latency: latency,
            failure: record.isSuccess ? nil : Self.failure(of: record),
            interference: record.interference,
            steal: record.steal
        )
    }

    /// `p50_us`, `p90_us`, `p99_us`, `p999_us` and `p9999_us` fields as points: the digits
    /// after the first two are decimals (999 is 99.9). Zero figures (no sample) are left out.
    static func latencyPoints(fromResultFields fields: [String: Double]) -> [LatencyPoint] {
        fields.compactMap { key, value -> LatencyPoint? in
            guard key.hasPrefix("p"), key.hasSuffix("_us"), value > 0 else { return nil }
            let digits = key.dropFirst().dropLast(3)
            guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
                let percentile = Double(digits.count > 2 ? "\(digits.prefix(2)).\(digits.dropFirst(2))" : "\(digits)"),
                percentile > 0, percentile < 100
            else { return nil }
            return LatencyPoint(percentile: percentile, microseconds: value)
        }.sorted { $0.percentile < $1.percentile }
    }

    /// Why an echo run failed, in the words of `run`'s table.
    static func failure(of record: RunRecord) -> String {
        var reasons: [String] = []
        if record.loadgenExitStatus != 0 {
            reasons.append("load generator exit status \(record.loadgenExitStatus.map(String.init) ?? "none")")
        }
        if record.result.isEmpty { reasons.append("no RESULT line") }
        if record.errors > 0 { reasons.append("\(record.errors) errors") }
        return reasons.isEmpty ? "failed" : reasons.joined(separator: "; ")
    }
}
