import Foundation
import Testing

@testable import uring_bench

/// `uring-bench compare` on recorded runs (Fixtures/): `baseline.json`; `rerun.json`, the
/// same code measured again (noise of a few percent, drift included); `regressed.json`,
/// where async-uring's echo at 50:64 lost 15% of its round trips per second at 12% more CPU
/// per round trip, async-uring's pipelined HTTP (c256p16) needs 16% less CPU per request,
/// async-uring-epoll was not run, example-resp has a case redis-server lacks, and one nginx
/// repetition failed.
@Suite struct CompareTests {
    static func fixturePath(_ name: String) throws -> String {
        let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures")
        return try #require(url, "Fixtures/\(name).json is a resource of the test target").path
    }

    static func fixture(_ name: String) throws -> BenchResults {
        try CompareCommand.load(try fixturePath(name))
    }

    static func compare(_ a: String, _ b: String, floor: Double = 0.02) throws -> Comparison {
        Comparison(a: try fixture(a), b: try fixture(b), floor: floor)
    }

    /// The rows `regressed.json` changed on purpose, by suite, server, case and metric.
    static let changed: [String: ComparisonRow.Verdict] = [
        "echo async-uring 50:64 throughput": .regression,
        "echo async-uring 50:64 cpu": .regression,
        "echo async-uring 50:64 p99": .regression,
        "http async-uring c256p16 cpu": .improvement,
    ]

    static func name(_ row: ComparisonRow) -> String {
        "\(row.suite) \(row.server) \(row.caseName) \(row.metric.rawValue)"
    }

    @Test func aRealRegressionIsFlagged() throws {
        let comparison = try Self.compare("baseline", "regressed")
        #expect(comparison.hasRegression)
        let rows = Dictionary(uniqueKeysWithValues: comparison.rows.map { (Self.name($0), $0) })
        let throughput = try #require(rows["echo async-uring 50:64 throughput"])
        #expect(throughput.verdict == .regression)
        let ratio = try #require(throughput.ratio)
        #expect(ratio > 0.82 && ratio < 0.88, "\(ratio)")
        #expect(try #require(throughput.threshold) < 1 - ratio)
        #expect(throughput.a?.count == 5 && throughput.b?.count == 5)
        #expect(throughput.unit == "round trips/s")
        let cpu = try #require(rows["echo async-uring 50:64 cpu"])
        #expect(cpu.verdict == .regression)
        #expect(try #require(cpu.ratio) > 1.05)
        #expect(cpu.unit == "us CPU/round trip")
    }

    @Test func noiseIsNotFlagged() throws {
        let rerun = try Self.compare("baseline", "rerun")
        #expect(!rerun.hasRegression)
        let flagged = rerun.rows.filter { $0.verdict == .regression || $0.verdict == .improvement }
        #expect(flagged.isEmpty, "\(flagged.map(Self.name))")
        // Changes of a few percent exist, and stay within the noise.
        #expect(rerun.rows.contains { abs(($0.ratio ?? 1) - 1) > 0.02 && $0.verdict == .withinNoise })

        let regressed = try Self.compare("baseline", "regressed")
        for row in regressed.rows where row.verdict == .regression || row.verdict == .improvement {
            #expect(Self.changed[Self.name(row)] == row.verdict, "\(Self.name(row)): \(row.verdict)")
        }
        #expect(regressed.rows.filter { $0.verdict == .regression }.count == 3)
    }

    @Test func anImprovementIsNotARegression() throws {
        let comparison = try Self.compare("baseline", "regressed")
        let row = try #require(comparison.rows.first { Self.name($0) == "http async-uring c256p16 cpu" })
        #expect(row.verdict == .improvement)
        #expect(try #require(row.ratio) < 0.9)
        // The same throughput in that case is not flagged either way.
        let throughput = try #require(
            comparison.rows.first { Self.name($0) == "http async-uring c256p16 throughput" }
        )
        #expect(throughput.verdict == .withinNoise)
        // Only improvements: no regression to gate on.
        let improvedOnly = Comparison(
            a: try Self.fixture("baseline"),
            b: try Self.fixture("regressed"),
            floor: 0.02,
            metrics: [.cpu]
        )
        #expect(improvedOnly.rows.filter { $0.verdict == .improvement }.count == 1)
        #expect(improvedOnly.rows.contains { $0.verdict == .regression })  // echo's CPU rose
        let http = improvedOnly.rows.filter { $0.suite == "http" }
        #expect(!http.contains { $0.verdict == .regression })
    }

    @Test func missingServersCasesAndFailedRunsAreReported() throws {
        let comparison = try Self.compare("baseline", "regressed")
        let missing = comparison.rows.filter { $0.verdict == .missing }
        let epoll = missing.filter { $0.server == "async-uring-epoll" }
        #expect(Set(epoll.map(\.caseName)) == ["50:64", "500:64"])
        #expect(epoll.allSatisfy { $0.note == "not in B" && $0.a != nil && $0.b == nil && $0.ratio == nil })
        let set = try #require(missing.first { $0.caseName == "set" && $0.metric == .throughput })
        #expect(set.server == "example-resp" && set.note == "not in A")
        // hummingbird-nio failed every close and c256p16 run in both: one row each, no figures.
        let failedBoth = missing.filter { $0.server == "hummingbird-nio" }
        #expect(Set(failedBoth.map(\.caseName)) == ["c256p16", "close"])
        #expect(failedBoth.allSatisfy { $0.metric == .throughput })
        #expect(failedBoth.first?.note == "no good repetition in A; no good repetition in B")
        // The failed nginx repetition is listed and left out of B's median.
        let nginx = try #require(comparison.excluded.first { $0.run == "B" && $0.server == "nginx" })
        #expect(nginx.caseName == "c64" && nginx.repetition == 2 && nginx.failure.contains("socket errors"))
        #expect(comparison.excluded.filter { $0.server == "hummingbird-nio" }.count == 12)
        let nginxRow = try #require(comparison.rows.first { Self.name($0) == "http nginx c64 throughput" })
        #expect(nginxRow.a?.count == 3 && nginxRow.b?.count == 2)
        let table = comparison.table
        #expect(table.contains("3 regressions, 1 improvement, "))
        #expect(table.contains("failed runs left out:"))
        #expect(table.contains("B: http nginx c64 repetition 2: wrk: 12 socket errors"))
    }

    static func results(_ throughputs: [Double], server: String = "async-uring") -> BenchResults {
        let measurements = throughputs.enumerated().map { index, throughput in
            Measurement(
                server: server,
                caseName: "50:64",
                repetition: index + 1,
                throughput: throughput,
                cpuMicroseconds: nil,
                latency: []
            )
        }
        let conditions = RunConditions(
            date: "2026-12-01T08:00:00Z",
            kernel: "Linux 6.18",
            cpuModel: "test",
            cpuCount: 2,
            swiftVersion: "Swift version 6.3.1",
            serverCPUs: "0",
            loadCPUs: "1"
        )
        let suite = SuiteResults(
            name: "echo",
            throughputUnit: "round trips",
            cases: ["50:64"],
            measurements: measurements
        )
        return BenchResults(conditions: conditions, suites: [suite])
    }

    @Test(
        arguments: [
            ([100_000.0], [98_500.0], ComparisonRow.Verdict.withinNoise),
            ([100_000], [97_000], .regression),
            ([100_000], [103_000], .improvement),
            ([100_000, 101_000, 99_000], [97_500], .withinNoise),
        ]
    )
    func singleRepetitionsUseTheFloorOnly(a: [Double], b: [Double], verdict: ComparisonRow.Verdict) throws {
        let comparison = Comparison(a: Self.results(a), b: Self.results(b), floor: 0.02)
        let row = try #require(comparison.rows.only)
        #expect(row.verdict == verdict)
        #expect(row.note?.hasPrefix("single repetition in ") == true)
        #expect(row.note?.contains("floor only") == true)
        if a.count == 1 { #expect(row.threshold == 0.02) }
        // CPU and latency were not measured: no rows for them.
        #expect(comparison.rows.allSatisfy { $0.metric == .throughput })
    }

    /// Beyond the spreads but with overlapping ranges, or apart but within the spreads: noise.
    @Test(
        arguments: [
            ([100.0, 100, 96], [90.0, 90, 97], ComparisonRow.Verdict.withinNoise),  // 10% down, ranges overlap
            ([100, 101, 99], [96, 95.5, 96.5], .regression),  // 4% down, apart, spreads 1% + 0.5%
            ([100, 101, 99], [97, 96.5, 97.5], .withinNoise),  // 3% down: under 1% + 0.5% + 2%
            ([100, 101, 99], [105, 104, 106], .improvement),
        ]
    )
    func theRuleWantsSizeAndSeparation(a: [Double], b: [Double], verdict: ComparisonRow.Verdict) throws {
        let comparison = Comparison(a: Self.results(a), b: Self.results(b), floor: 0.02)
        #expect(try #require(comparison.rows.only).verdict == verdict)
        // For a lower-is-better metric the same change means the opposite.
        let judged = Comparison.judge(
            try #require(Spread(a)),
            try #require(Spread(b)),
            higherIsBetter: false,
            floor: 0.02
        )
        let flipped: ComparisonRow.Verdict =
            switch verdict {
            case .regression: .improvement
            case .improvement: .regression
            default: verdict
            }
        #expect(judged.verdict == flipped)
    }

    @Test func argumentsDefaultsAndOptions() throws {
        let defaults = try #require(try UringBench.parseAsRoot(["compare", "a.json", "b.json"]) as? CompareCommand)
        #expect(defaults.a == "a.json" && defaults.b == "b.json")
        #expect(try ComparisonMetric.parseList(defaults.metric) == [.throughput, .cpu, .p99])
        #expect(defaults.threshold == 2)
        #expect(defaults.json == nil)
        let options = try #require(
            try UringBench.parseAsRoot([
                "compare", "a.json", "b.json", "--metric", "p99, throughput", "--threshold", "5", "--json",
                "/tmp/c.json",
            ]) as? CompareCommand
        )
        #expect(try ComparisonMetric.parseList(options.metric) == [.p99, .throughput])
        #expect(options.threshold == 5)
        #expect(options.json == "/tmp/c.json")
    }

    @Test(
        arguments: [
            ["compare"],
            ["compare", "a.json"],
            ["compare", "a.json", "b.json", "c.json"],
            ["compare", "a.json", "b.json", "--metric", "latency"],
            ["compare", "a.json", "b.json", "--metric", "cpu,cpu"],
            ["compare", "a.json", "b.json", "--metric", ""],
            ["compare", "a.json", "b.json", "--threshold", "-1"],
            ["compare", "a.json", "b.json", "--threshold", "two"],
        ]
    )
    func badArgumentsAreRejected(arguments: [String]) {
        #expect(throws: (any Error).self) { try UringBench.parseAsRoot(arguments) }
    }

    /// The built `uring-bench compare`: its exit status gates on the regression, not on noise,
    /// and refuses what is not a BenchResults file with 64.
    @Test(.timeLimit(.minutes(1))) func theProcessExitStatusGatesOnARegression() async throws {
        let baseline = try Self.fixturePath("baseline")
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("compare-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: json) }

        let regressed = try await Self.runCompare([baseline, try Self.fixturePath("regressed"), "--json", json])
        #expect(regressed.status == 1, "\(regressed.output)")
        #expect(
            regressed.output.contains {
                $0.hasPrefix("echo") && $0.contains("async-uring") && $0.hasSuffix("regression")
            }
        )
        let written = try JSONDecoder().decode(Comparison.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
        #expect(written.hasRegression && written.floor == 0.02)

        let rerun = try await Self.runCompare([baseline, try Self.fixturePath("rerun")])
        #expect(rerun.status == 0, "\(rerun.output)")
        #expect(rerun.output.contains { $0.hasPrefix("0 regressions, 0 improvements, ") })

        let bad = try await Self.runCompare([baseline, "/proc/self/status"])
        #expect(bad.status == 64, "\(bad.output) \(bad.errors)")
        #expect(bad.errors.contains { $0.contains("/proc/self/status is not a BenchResults file") }, "\(bad.errors)")
    }

    static func runCompare(_ arguments: [String]) async throws -> (status: Int32?, output: [String], errors: [String]) {
        let child = try RefusedIoUringTests.launch(["compare"] + arguments, driverVariable: nil, refusingIoUring: false)
        let status = await child.waitForExit(timeout: .seconds(30))
        await child.terminate(timeout: .seconds(1))
        await child.output.waitForEnd(timeout: .seconds(5))
        return (status, child.output.lines, child.errorOutput?.lines ?? [])
    }
}

extension Collection {
    /// The one element, or nil when there are none or several.
    fileprivate var only: Element? { count == 1 ? first : nil }
}
