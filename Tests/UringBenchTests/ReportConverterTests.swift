import Foundation
import Testing

@testable import uring_bench

/// Each suite's raw records into the common ``BenchResults`` shape, and the merging of
/// several files into one document.
@Suite struct ReportConverterTests {
    @Test func echoRecords() throws {
        let file = try ReportFixtures.read(ReportFixtures.echo)
        guard case .echoRecords(let records) = file else { throw Unexpected(file: file) }
        let suites = file.suites
        #expect(suites.map(\.name) == ["echo"])
        let suite = try #require(suites.first)
        #expect(suite.throughputUnit == "round trips")
        #expect(suite.costUnit == "round trip")
        #expect(suite.yardstick == "echo_uring")
        #expect(suite.cases == ["1:64", "50:64", "500:64", "50:4096"])
        #expect(suite.measurements.count == records.count)
        let record = try #require(records.first { $0.server == "async-uring" && $0.size == 4096 })
        let measurement = try #require(
            suite.measurements.first { $0.server == "async-uring" && $0.caseName == "50:4096" && $0.repetition == 1 }
        )
        #expect(measurement.throughput == record.roundTripsPerSecond)
        #expect(measurement.cpuMicroseconds == record.serverMicrosecondsPerRoundTrip)
        #expect(measurement.latency.map(\.percentile) == [50, 90, 99, 99.9])
        #expect(measurement.latency.first?.microseconds == record.p50Microseconds)
        #expect(measurement.interference == record.interference)
        #expect(measurement.failure == nil)
        let failed = suite.measurements.filter { $0.failure != nil }
        #expect(failed.map(\.server) == ["nio-echo-async"])
        #expect(failed.first?.failure == "load generator exit status 1; 12 errors")
    }

    @Test func udpRecords() throws {
        let suites = try ReportFixtures.read(ReportFixtures.udp).suites
        #expect(suites.map(\.name) == ["udp"])
        let suite = try #require(suites.first)
        #expect(suite.yardstick == "udp_echo")
        #expect(suite.cases == ["16:64", "256:64", "16:1200"])
        // udp_loadgen reports p50 and p99 (and a mean, which is no percentile).
        #expect(suite.measurements.allSatisfy { $0.latency.map(\.percentile) == [50, 99] })
        #expect(Set(suite.measurements.map(\.server)).count == 4)
    }

    @Test func tcpAndUDPRecordsInOneFileMakeTwoSuites() throws {
        guard case .echoRecords(let tcp) = try ReportFixtures.read(ReportFixtures.echo),
            case .echoRecords(let udp) = try ReportFixtures.read(ReportFixtures.udp)
        else { throw Unexpected(file: nil) }
        let suites = SuiteResults.echoSuites(from: Array(udp.prefix(4)) + Array(tcp.prefix(5)))
        #expect(suites.map(\.name) == ["echo", "udp"])
        #expect(suites.map(\.measurements.count) == [5, 4])
    }

    @Test func httpRecords() throws {
        let suites = try ReportFixtures.read(ReportFixtures.http).suites
        let suite = try #require(suites.first)
        #expect(suites.count == 1)
        #expect(suite.name == "http")
        #expect(suite.throughputUnit == "requests")
        #expect(suite.costUnit == "request")
        #expect(suite.yardstick == "nginx")
        #expect(suite.cases == ["c64", "c256", "c256p16", "close"])
        let c64 = try #require(suite.measurements.first { $0.server == "async-uring" && $0.caseName == "c64" })
        #expect(c64.latency.map(\.percentile) == [50, 75, 90, 99])
        #expect(try #require(c64.cpuMicroseconds) > 7 && c64.cpuMicroseconds! < 9)
        // wrk printed no upper percentile for nginx's pipelined runs.
        let pipelined = suite.measurements.filter { $0.server == "nginx" && $0.caseName == "c256p16" }
        #expect(pipelined.allSatisfy { $0.latency.map(\.percentile) == [50] })
        let failed = suite.measurements.filter { $0.failure != nil }
        #expect(Set(failed.map(\.server)) == ["hummingbird-nio"])
        #expect(Set(failed.map(\.caseName)) == ["c256p16", "close"])
        #expect(failed.allSatisfy { $0.failure?.contains("socket errors") == true })
    }

    @Test func respRecords() throws {
        let suites = try ReportFixtures.read(ReportFixtures.resp).suites
        let suite = try #require(suites.first)
        #expect(suite.name == "resp")
        #expect(suite.yardstick == "redis-server")
        #expect(suite.cases == ["ping_inline -P 1", "get -P 1", "ping_inline -P 16", "get -P 16"])
        #expect(suite.measurements.count == 2 * 4 * 3)
        #expect(suite.measurements.map(\.repetition).prefix(3) == [1, 2, 3])
        let run = try #require(suite.measurements.first)
        #expect(run.latency.map(\.percentile) == [50, 95, 99])
        #expect(run.latency.allSatisfy { $0.microseconds > 100 && $0.microseconds < 1000 })
    }

    @Test func respRecordsWithoutTheNewerPercentiles() throws {
        let json =
            #"[{"server":"redis-server","test":"set","pipeline":16,"runs":[{"rps":1.0e6,"p99_ms":1.163,"cpu_us_per_request":0.875}]}]"#
        let suite = try #require(try ResultsFile.decode(Data(json.utf8), path: "old.json").suites.first)
        #expect(suite.cases == ["set -P 16"])
        #expect(suite.measurements.first?.latency == [LatencyPoint(percentile: 99, microseconds: 1163)])
    }

    @Test func resultsFile() throws {
        let file = try ReportFixtures.read(ReportFixtures.file)
        guard case .results(let results) = file else { throw Unexpected(file: file) }
        #expect(results.suites.map(\.name) == ["file"])
        #expect(results.conditions.cpuModel == "AMD EPYC 9B14")
    }

    @Test(
        arguments: [
            ("[]", "holds no record"),
            ("{\"a\":1}", "without suites and conditions"),
            ("[{\"a\":1}]", "of no known kind"),
            ("not json", "is not JSON"),
            ("[{\"roundTripsPerSecond\":1}]", "does not decode"),
            ("{\"version\":2,\"conditions\":{},\"suites\":[]}", "does not decode"),
        ]
    )
    func refusedInputs(json: String, reason: String) {
        #expect {
            try ResultsFile.decode(Data(json.utf8), path: "in.json")
        } throws: { error in
            (error as? ResultsFileError)?.reason.contains(reason) == true
        }
    }

    @Test func aResultsFileOfAnotherVersionIsRefused() throws {
        var results = try ReportFixtures.merged()
        results.version = 2
        let data = try JSONEncoder().encode(results)
        #expect {
            try ResultsFile.decode(data, path: "new.json")
        } throws: { error in
            (error as? ResultsFileError)?.reason == "has version 2; this reads 1"
        }
    }

    @Test(
        arguments: [
            (["p50_us": 10, "p999_us": 30, "p99_us": 20, "rps": 5], [50, 99, 99.9]),
            (["p9999_us": 40, "p90_us": 15, "mean_us": 12, "max_us": 90], [90, 99.99]),
            (["p50_us": 0, "p99_us": 20, "px_us": 1, "p_us": 1], [99]),
        ]
    )
    func latencyPointsFromResultFields(fields: [String: Double], percentiles: [Double]) {
        #expect(Measurement.latencyPoints(fromResultFields: fields).map(\.percentile) == percentiles)
    }

    @Test func mergingEveryKind() throws {
        let results = try ReportFixtures.merged()
        #expect(results.suites.map(\.name) == ["echo", "udp", "http", "resp", "file"])
        // The results file brings its conditions; the raw records bring none.
        #expect(results.conditions.cpuModel == "AMD EPYC 9B14")
        #expect(results.conditions.interference == 0.012)
        let data = try JSONEncoder().encode(results)
        #expect(try JSONDecoder().decode(BenchResults.self, from: data) == results)
    }

    /// The file suite runs everything on one CPU: merged beside raw records (pinned as the
    /// runners pin), the page keeps the runners' pinning and the file suite says its own.
    @Test func aSuitePinnedOtherwiseSaysSoOnThePage() throws {
        var fileResults = try JSONDecoder().decode(
            BenchResults.self,
            from: Data(contentsOf: URL(fileURLWithPath: try ReportFixtures.path(ReportFixtures.file)))
        )
        fileResults.conditions.loadCPUs = "0"
        fileResults.suites[0].pinning = "fio and every reader on CPU 0"
        let echo = try ReportFixtures.read(ReportFixtures.echo)
        let results = BenchResults.merging([.results(fileResults), echo], fallback: ReportFixtures.conditions)
        #expect(results.conditions.pinningText == "server on CPU 0, load on CPU 1")
        #expect(results.suites.map(\.pinning) == ["fio and every reader on CPU 0", nil])
        let page = HTMLReport(results, title: "t").render()
        #expect(page.contains("pinning: fio and every reader on CPU 0"))
        #expect(page.contains("server on CPU 0, load on CPU 1 (suites that differ say so)"))
        // Alone, the file suite's own conditions head the page.
        let alone = BenchResults.merging([.results(fileResults)], fallback: ReportFixtures.conditions)
        #expect(alone.conditions.pinningText == "server on CPU 0, load on CPU 0")
    }

    @Test func mergingTheSameSuiteTwiceNumbersTheSecondRunsAfterTheFirst() throws {
        let echo = try ReportFixtures.read(ReportFixtures.echo)
        let results = BenchResults.merging([echo, echo], fallback: ReportFixtures.conditions)
        let suite = try #require(results.suites.first)
        #expect(results.suites.count == 1)
        #expect(suite.measurements.count == 2 * 60)
        let repetitions = suite.measurements.filter { $0.server == "echo_uring" && $0.caseName == "1:64" }
            .map(\.repetition)
        #expect(repetitions == [1, 2, 3, 4, 5, 6])
        // Raw records only: the fallback conditions, with the runs' median interference.
        #expect(results.conditions.cpuModel == ReportFixtures.conditions.cpuModel)
        let interference = try #require(results.conditions.interference)
        #expect(interference > 0.004 && interference < 0.03)
    }

    @Test func jsonBesideTheReport() {
        #expect(ReportFiles.jsonPath(besides: "out/bench.html") == "out/bench.json")
        #expect(ReportFiles.jsonPath(besides: "report") == "report.json")
    }

    struct Unexpected: Error {
        var file: ResultsFile?
    }
}
