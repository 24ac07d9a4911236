import Glibc
import Testing

@testable import uring_bench

@Suite struct ResultLineTests {
    static let cLoadgenOutput = """
        loadgen: 127.0.0.1:9000 conns=50 size=64 threads=1 warmup=1s duration=5s
        round trips: 1234567 measured (1500000 incl. warm-up), 246913/s, 15.80 MB/s each way
        latency us: mean 200.1  p50 190.5  p99 400.2  p99.9 900.0  max 5000.0
        errors 0 (mismatches + closed), conn_failed 0, conn_closed 0, stalled 0
        cpu: loadgen 0.99 cores, server 0.97 cores, server 3.93 us/round trip, others 0.01 cores
        RESULT rps=246913 mbps=15.80 p50_us=190.5 p99_us=400.2 p999_us=900.0 mean_us=200.1 max_us=5000.0 \
        errors=0 conn_failed=0 conn_closed=0 stalled=0 client_cpu=0.99 server_cpu=0.97 srv_us_per_rt=3.93 \
        other_cpu=0.01
        """

    @Test(.timeLimit(.minutes(1))) func parsesTheCLoadgenResultLine() throws {
        let fields = try #require(ResultLine.parse(output: Self.cLoadgenOutput))
        #expect(fields["rps"] == 246913)
        #expect(fields["p50_us"] == 190.5)
        #expect(fields["p99_us"] == 400.2)
        #expect(fields["p999_us"] == 900)
        #expect(fields["errors"] == 0)
        #expect(fields["conn_failed"] == 0)
        #expect(fields["stalled"] == 0)
        #expect(fields["srv_us_per_rt"] == 3.93)
        #expect(fields["other_cpu"] == 0.01)
        #expect(fields.count == 15)
    }

    @Test(.timeLimit(.minutes(1))) func theLastResultLineWins() throws {
        let fields = try #require(ResultLine.parse(output: "RESULT rps=1\nnoise\nRESULT rps=2 bad=x =3 lone\n"))
        #expect(fields == ["rps": 2])
    }

    @Test(.timeLimit(.minutes(1))) func noResultLine() {
        #expect(ResultLine.parse(output: "RESULTS rps=1\nhello") == nil)
        #expect(ResultLine.parse(output: "") == nil)
    }

    @Test(
        .timeLimit(.minutes(1)),
        arguments: [
            (12.34, 1, "12.3"), (12.36, 1, "12.4"), (0, 1, "0.0"), (-1, 2, "-1.00"), (246913.4, 0, "246913"),
            (0.04, 1, "0.0"), (-0.04, 1, "0.0"), (3.0049, 2, "3.00"), (1.05, 2, "1.05"), (.infinity, 1, "0"),
        ]
    )
    func formatsWithFixedDecimals(value: Double, decimals: Int, expected: String) {
        #expect(ResultLine.format(value, decimals: decimals) == expected)
    }

    @Test(.timeLimit(.minutes(1))) func echoClientResultLineComesFirstWithTheCommonKeys() throws {
        let report = EchoLoadReport(
            roundTrips: 1000,
            roundTripsIncludingWarmup: 1200,
            roundTripsPerSecond: 500.04,
            megabytesPerSecond: 0.032,
            p50Microseconds: 12.34,
            p90Microseconds: 20,
            p99Microseconds: 99.96,
            p999Microseconds: 150,
            maxMicroseconds: 900.5,
            errors: 0,
            stalled: 0,
            failedConnections: 0,
            serverMicrosecondsPerRoundTrip: 4.56
        )
        let line = report.resultLine
        #expect(line.hasPrefix("RESULT rps=500 p50_us=12.3 p99_us=100.0 p999_us=150.0 errors=0 "))
        let fields = try #require(ResultLine.parse(output: "text\n" + line))
        #expect(fields["srv_us_per_rt"] == 4.56)
        #expect(fields["round_trips_all"] == 1200)
        #expect(report.isSuccess)
        let json = try report.jsonLine()
        #expect(json.hasPrefix("{") && json.contains("\"roundTrips\":1000"))
    }

    @Test(.timeLimit(.minutes(1))) func aReportWithStallsOrFailedConnectionsFails() {
        var report = EchoLoadReport(
            roundTrips: 10,
            roundTripsIncludingWarmup: 10,
            roundTripsPerSecond: 10,
            megabytesPerSecond: 0,
            p50Microseconds: 1,
            p90Microseconds: 1,
            p99Microseconds: 1,
            p999Microseconds: 1,
            maxMicroseconds: 1,
            errors: 0,
            stalled: 1,
            failedConnections: 0,
            serverMicrosecondsPerRoundTrip: nil
        )
        #expect(!report.isSuccess)
        #expect(!report.resultLine.contains("srv_us_per_rt"))
        report.stalled = 0
        report.failedConnections = 1
        #expect(!report.isSuccess)
    }

    @Test(.timeLimit(.minutes(1))) func echoPatternChecksPiecesAtTheirOffset() {
        var sent = EchoPattern.bytes(count: 100, seed: 3)
        EchoPattern.stamp(&sent, sequence: 0x0102)
        #expect(sent[0] == 0x02 && sent[1] == 0x01 && sent[2] == 0)
        #expect(sent[50] == UInt8(truncatingIfNeeded: 3 * 31 + 50 * 7))
        #expect(EchoPattern.bytes(count: 100, seed: 4) != EchoPattern.bytes(count: 100, seed: 3))
        func firstMismatch(_ piece: [UInt8], expected: [UInt8], at offset: Int) -> Int? {
            piece.withUnsafeBytes { EchoPattern.firstMismatch($0, expected: expected, at: offset) }
        }
        var piece = Array(sent[40..<70])
        #expect(firstMismatch(piece, expected: sent, at: 40) == nil)
        #expect(firstMismatch([], expected: sent, at: 100) == nil)
        piece[7] &+= 1
        #expect(firstMismatch(piece, expected: sent, at: 40) == 47)
        #expect(firstMismatch(piece, expected: sent, at: 41) == 41)
    }

    @Test(.timeLimit(.minutes(1))) func procStatCPUTime() {
        let stat = "4242 (echo (server) x) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 50 0 0 20 0 3 0 100 0 0"
        #expect(ProcessCPUTime.microseconds(fromStat: stat, ticksPerSecond: 100) == 3_000_000)
        #expect(ProcessCPUTime.microseconds(fromStat: "garbage", ticksPerSecond: 100) == nil)
    }

    @Test(.timeLimit(.minutes(1))) func ownCPUTimeIsReadable() throws {
        let own = try #require(ProcessCPUTime.microseconds(of: getpid()))
        #expect(own >= 0)
    }
}
