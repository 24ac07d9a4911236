import Testing

@testable import uring_bench

@Suite struct SummaryTests {
    static let small = BenchCase(connections: 1, size: 64)
    static let large = BenchCase(connections: 50, size: 4096)

    static func record(
        _ server: String,
        _ benchCase: BenchCase = small,
        repetition: Int,
        rps: Double,
        p50: Double = 10,
        serverCPU: Double? = 2,
        exitStatus: Int32 = 0,
        errors: Double = 0
    ) -> RunRecord {
        var fields = ["rps": rps, "p50_us": p50, "p99_us": p50 * 3, "p999_us": p50 * 5, "errors": errors]
        if let serverCPU { fields["srv_us_per_rt"] = serverCPU }
        return RunRecord(
            server: server,
            benchCase: benchCase,
            repetition: repetition,
            loadgen: .c,
            outcome: LoadOutcome(fields: fields, exitStatus: exitStatus, log: ""),
            runnerServerCPU: nil,
            warmupSeconds: 1,
            durationSeconds: 3
        )
    }

    @Test(
        .timeLimit(.minutes(1)),
        arguments: [([], nil), ([3], 3), ([5, 1], 3), ([9, 1, 5], 5), ([4, 1, 3, 2], 2.5)] as [([Double], Double?)]
    )
    func medians(values: [Double], expected: Double?) {
        #expect(median(values) == expected)
    }

    @Test(.timeLimit(.minutes(1))) func ratios() {
        #expect(ratio(50, to: 100) == 0.5)
        #expect(ratio(50, to: 0) == nil)
        #expect(ratio(nil, to: 10) == nil)
        #expect(ratio(1, to: nil) == nil)
    }

    @Test(.timeLimit(.minutes(1))) func rowsTakeMediansAndRatios() throws {
        let records = [
            Self.record("async-uring", repetition: 1, rps: 80, p50: 12),
            Self.record("echo_uring", repetition: 1, rps: 100),
            Self.record("nio-echo-handler", repetition: 1, rps: 50),
            Self.record("async-uring", repetition: 2, rps: 90, p50: 11),
            Self.record("echo_uring", repetition: 2, rps: 200),
            Self.record("nio-echo-handler", repetition: 2, rps: 60),
            Self.record("async-uring", repetition: 3, rps: 70, p50: 13),
            Self.record("echo_uring", repetition: 3, rps: 140),
            Self.record("nio-echo-handler", repetition: 3, rps: 55),
        ]
        let rows = Summary.rows(
            records,
            servers: ["async-uring", "nio-echo-handler", "echo_uring"],
            cases: [Self.small, Self.large]
        )
        #expect(rows.map(\.server) == ["async-uring", "nio-echo-handler", "echo_uring"])
        let ours = rows[0]
        #expect(ours.medianRoundTripsPerSecond == 80)
        #expect(ours.medianP50Microseconds == 12)
        #expect(ours.medianServerMicrosecondsPerRoundTrip == 2)
        #expect(ours.ratioToBestPeer == 80.0 / 140.0)
        // Paired per repetition: 0.8, 0.45, 0.5.
        #expect(ours.ratioToEchoUring == 0.5)
        #expect(rows[2].ratioToBestPeer == 140.0 / 80.0)
        #expect(rows[2].ratioToEchoUring == 1)
    }

    @Test(.timeLimit(.minutes(1))) func theEpollRowIsPairedWithSwiftNIOsHandler() throws {
        let records = [
            Self.record("async-uring-epoll", repetition: 1, rps: 90, serverCPU: 6),
            Self.record("nio-echo-handler", repetition: 1, rps: 100, serverCPU: 10),
            Self.record("async-uring-epoll", repetition: 2, rps: 60, serverCPU: 9),
            Self.record("nio-echo-handler", repetition: 2, rps: 50, serverCPU: 10),
            Self.record("async-uring-epoll", repetition: 3, rps: 80, serverCPU: 8),
            Self.record("nio-echo-handler", repetition: 3, rps: 100, serverCPU: 8),
        ]
        let rows = Summary.rows(records, servers: ["async-uring-epoll", "nio-echo-handler"], cases: [Self.small])
        let epoll = try #require(rows.first)
        // Paired per repetition: rps 0.9, 1.2, 0.8; CPU 0.6, 0.9, 1.0.
        #expect(epoll.ratioToNIOHandler == 0.9)
        #expect(epoll.cpuRatioToNIOHandler == 0.9)
        #expect(rows[1].ratioToNIOHandler == 1 && rows[1].cpuRatioToNIOHandler == 1)
        #expect(epoll.ratioToEchoUring == nil)
        let lines = Summary.table(rows).split(separator: "\n").map(String.init)
        #expect(lines[0].hasSuffix("vs best peer  vs nio-echo-handler  CPU vs nio-echo-handler"), "\(lines[0])")
        #expect(lines[1].hasPrefix("async-uring-epoll  1:64   80  "), "\(lines[1])")
        #expect(lines[1].hasSuffix("0.90x                    0.90x"), "\(lines[1])")
    }

    @Test(.timeLimit(.minutes(1))) func failedRunsAreCountedButNotMedianed() throws {
        let records = [
            Self.record("async-uring", repetition: 1, rps: 80),
            Self.record("async-uring", repetition: 2, rps: 1, exitStatus: 1),
            Self.record("async-uring", repetition: 3, rps: 5, errors: 3),
        ]
        let row = try #require(Summary.rows(records, servers: ["async-uring"], cases: [Self.small]).first)
        #expect(row.runs == 3)
        #expect(row.failedRuns == 2)
        #expect(row.medianRoundTripsPerSecond == 80)
        #expect(row.ratioToBestPeer == nil)
        #expect(row.ratioToEchoUring == nil)
        #expect(Summary.table([row]).contains("async-uring (2/3 failed)"))
    }

    @Test(.timeLimit(.minutes(1))) func tableIsAligned() {
        let records = [
            Self.record("async-uring", repetition: 1, rps: 123456.4, p50: 7.25),
            Self.record("echo_uring", repetition: 1, rps: 200000, serverCPU: nil),
        ]
        let table = Summary.table(Summary.rows(records, servers: ["async-uring", "echo_uring"], cases: [Self.small]))
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("server       case  "))
        #expect(lines[0].hasSuffix("vs echo_uring"))
        #expect(lines[1].hasPrefix("async-uring  1:64  123456"))
        #expect(lines[1].contains("7.3"))
        #expect(lines[1].hasSuffix("0.62x"))
        #expect(lines[2].contains("  -  "))  // no server CPU figure for echo_uring
        #expect(Set(lines.map { $0.count }).count == 1)
    }

    @Test(.timeLimit(.minutes(1))) func runnerMeasuredCPUIsSpreadOverAllRoundTrips() {
        let outcome = LoadOutcome(fields: ["rps": 1000, "errors": 0, "round_trips_all": 4000], exitStatus: 0, log: "")
        let record = RunRecord(
            server: "nio-echo-async",
            benchCase: Self.small,
            repetition: 1,
            loadgen: .uring,
            outcome: outcome,
            runnerServerCPU: 20000,
            warmupSeconds: 1,
            durationSeconds: 3
        )
        #expect(record.serverMicrosecondsPerRoundTrip == 5)
        #expect(record.serverCPUSource == "runner")
        let noResult = RunRecord(
            server: "x",
            benchCase: Self.small,
            repetition: 1,
            loadgen: .c,
            outcome: LoadOutcome(fields: nil, exitStatus: 1, log: ""),
            runnerServerCPU: 10,
            warmupSeconds: 1,
            durationSeconds: 1
        )
        #expect(!noResult.isSuccess)
        #expect(noResult.errors == 1)
    }

    @Test(.timeLimit(.minutes(1))) func announcedPort() {
        #expect(RunningServer.announcedPort(in: ["noise", "listening on 127.0.0.1:4567"]) == 4567)
        #expect(RunningServer.announcedPort(in: ["listening on [::1]:80"]) == 80)
        #expect(RunningServer.announcedPort(in: ["listening on 127.0.0.1:0", "listening soon"]) == nil)
    }
}
