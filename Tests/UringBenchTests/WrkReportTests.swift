import Testing

@testable import uring_bench

/// The wrk report parser, on reports wrk 4.1.0 printed for real against nginx 1.22 on
/// loopback (`wrk -t1 -c64 --latency`).
@Suite struct WrkReportTests {
    /// `wrk -t1 -c64 -d3s --latency http://127.0.0.1:18080/plaintext`: keep-alive, all 200.
    static let clean = """
        Running 3s test @ http://127.0.0.1:18080/plaintext
          1 threads and 64 connections
          Thread Stats   Avg      Stdev     Max   +/- Stdev
            Latency     1.57ms    1.97ms  13.11ms   84.57%
            Req/Sec    59.80k     9.21k   72.16k    80.00%
          Latency Distribution
             50%  446.00us
             75%    2.35ms
             90%    4.43ms
             99%    8.37ms
          181280 requests in 3.04s, 27.83MB read
        Requests/sec:  59549.58
        Transfer/sec:      9.14MB
        """

    /// The same nginx with `location = /drop { return 444; }` (close without a response),
    /// loaded by a script sending three requests to a missing path for one to /drop.
    static let failing = """
        Running 2s test @ http://127.0.0.1:18080/
          1 threads and 64 connections
          Thread Stats   Avg      Stdev     Max   +/- Stdev
            Latency     2.48ms    2.51ms  11.48ms   80.45%
            Req/Sec    14.31k     1.76k   17.08k    70.00%
          Latency Distribution
             50%    0.93ms
             75%    4.57ms
             90%    6.36ms
             99%    9.83ms
          28839 requests in 2.03s, 8.47MB read
          Socket errors: connect 0, read 9614, write 0, timeout 0
          Non-2xx or 3xx responses: 28839
        Requests/sec:  14238.82
        Transfer/sec:      4.18MB
        """

    /// hummingbird-nio-http under the close shape (`-H 'Connection: close'`): it closes after
    /// each response without saying `Connection: close`, so wrk counts a read error each time.
    static let unannouncedClose = """
        Running 2s test @ http://127.0.0.1:33673/plaintext
          1 threads and 64 connections
          Thread Stats   Avg      Stdev     Max   +/- Stdev
            Latency     9.56ms    3.08ms  23.97ms   71.17%
            Req/Sec     5.53k   532.68     6.22k    85.00%
          Latency Distribution
             50%    9.93ms
             75%   11.28ms
             90%   13.14ms
             99%   17.31ms
          11256 requests in 2.05s, 1.23MB read
          Socket errors: connect 0, read 11256, write 0, timeout 0
        Requests/sec:   5502.52
        Transfer/sec:    617.96KB
        """

    @Test func cleanReport() throws {
        let report = try #require(WrkReport.parse(Self.clean))
        #expect(report.requests == 181280)
        #expect(report.seconds == 3.04)
        #expect(report.requestsPerSecond == 59549.58)
        #expect(report.latencyMicroseconds == [50: 446, 75: 2350, 90: 4430, 99: 8370])
        #expect(report.socketErrors == 0)
        #expect(report.non2xx3xx == 0)
    }

    @Test func reportWithErrors() throws {
        let report = try #require(WrkReport.parse(Self.failing))
        #expect(report.requests == 28839)
        #expect(report.requestsPerSecond == 14238.82)
        #expect(report.latencyMicroseconds[50] == 930)
        #expect(report.latencyMicroseconds[99] == 9830)
        #expect(report.connectErrors == 0)
        #expect(report.readErrors == 9614)
        #expect(report.writeErrors == 0)
        #expect(report.timeouts == 0)
        #expect(report.socketErrors == 9614)
        #expect(report.non2xx3xx == 28839)
    }

    @Test(
        arguments: [
            "unable to connect to 127.0.0.1:50269 Connection refused",
            "",
            "Running 2s test @ http://127.0.0.1:1/\n  1 threads and 64 connections\n",
        ]
    )
    func failedRunHasNoReport(output: String) {
        #expect(WrkReport.parse(output) == nil)
    }

    @Test(
        arguments: [
            ("446.00us", 446), ("8.37ms", 8370), ("3.04s", 3_040_000), ("1.50m", 90_000_000),
            ("1.00h", 3_600_000_000),
        ] as [(String, Double)]
    )
    func durations(text: String, microseconds: Double) {
        #expect(WrkReport.microseconds(text) == microseconds)
    }

    @Test(arguments: ["", "12", "ms", "1.2xs"])
    func badDurations(text: String) {
        #expect(WrkReport.microseconds(text) == nil)
    }

    static func record(_ shape: HTTPShape, output: String, server: String = "nginx") -> HTTPRunRecord {
        HTTPRunRecord(
            server: server,
            shape: shape,
            repetition: 1,
            path: "/plaintext",
            durationSeconds: 3,
            warmupSeconds: 1,
            wrkExitStatus: 0,
            wrk: WrkReport.parse(output),
            serverCPUMicroseconds: 1_812_800
        )
    }

    @Test func recordOfACleanRun() {
        let record = Self.record(.c64, output: Self.clean)
        #expect(record.isSuccess)
        #expect(record.problems.isEmpty)
        #expect(record.requestsPerSecond == 59549.58)
        #expect(record.p50Microseconds == 446)
        #expect(record.p99Microseconds == 8370)
        #expect(record.serverMicrosecondsPerRequest == 10)
    }

    @Test func nonSuccessResponsesAndSocketErrorsFailARun() {
        let record = Self.record(.c64, output: Self.failing)
        #expect(!record.isSuccess)
        #expect(
            record.problems == [
                "28839 non-2xx/3xx", "socket errors: connect 0, read 9614, write 0, timeout 0",
            ]
        )
        #expect(!record.isUnannouncedCloseOnly)
    }

    @Test func unannouncedCloseFailsWithItsExplanation() throws {
        let record = Self.record(.close, output: Self.unannouncedClose, server: "hummingbird-nio")
        #expect(!record.isSuccess)
        #expect(record.isUnannouncedCloseOnly)
        let problem = try #require(record.problems.first)
        #expect(problem.hasSuffix(HTTPRunRecord.unannouncedCloseHint))
        // The same errors under a keep-alive shape get no such explanation.
        #expect(!Self.record(.c64, output: Self.unannouncedClose).isUnannouncedCloseOnly)
    }

    @Test func wrkThatFailedFailsTheRun() {
        var record = Self.record(.c64, output: Self.clean)
        record.wrkExitStatus = 1
        #expect(record.problems == ["wrk exit status 1"])
        record.wrkExitStatus = nil
        #expect(record.problems == ["wrk exit status none"])
    }

    /// `wrk -t1 -c256 --latency -s pipeline16.lua` against `uring-bench http-server`: wrk
    /// prints 0.00us for p90 and p99 of a pipelined run.
    static let pipelined = """
        Running 3s test @ http://127.0.0.1:18080/plaintext
          1 threads and 256 connections
          Thread Stats   Avg      Stdev     Max   +/- Stdev
            Latency     4.17ms    2.10ms  18.14ms   57.28%
            Req/Sec   537.31k    59.65k  620.96k    76.67%
          Latency Distribution
             50%    4.97ms
             75%    6.88ms
             90%    0.00us
             99%    0.00us
          1602320 requests in 3.02s, 175.73MB read
        Requests/sec: 531372.58
        Transfer/sec:     58.28MB
        """

    @Test func zeroPercentilesOfAPipelinedRunAreMissingNotZero() throws {
        let report = try #require(WrkReport.parse(Self.pipelined))
        #expect(report.latencyMicroseconds[50] == 4970)
        #expect(report.latencyMicroseconds[90] == nil)
        #expect(report.latencyMicroseconds[99] == nil)
        #expect(report.requests == 1_602_320)
    }
}
