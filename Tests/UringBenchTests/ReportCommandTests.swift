import ArgumentParser
import Foundation
import Testing

@testable import uring_bench

/// `uring-bench report --html OUT.html [--json OUT.json] [--title T] INPUT.json...`, and the
/// `--report` of `run` and `http-run`.
@Suite struct ReportCommandTests {
    @Test(.timeLimit(.minutes(1))) func mergesEveryInputIntoOnePage() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let html = directory.appendingPathComponent("bench.html").path
        let json = directory.appendingPathComponent("merged.json").path
        let inputs = try ReportFixtures.all.map(ReportFixtures.path)
        let command = try #require(
            try UringBench.parseAsRoot(["report", "--html", html, "--json", json, "--title", "Nightly"] + inputs)
                as? ReportCommand
        )
        try await command.run()
        let results = try JSONDecoder().decode(BenchResults.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
        #expect(results.suites.map(\.name) == ["echo", "udp", "http", "resp", "file"])
        #expect(results == (try ReportFixtures.merged().with(conditions: results.conditions)))
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.contains("<title>Nightly</title>"))
        HTMLReportTests.checkCharts(in: page, results: results)
    }

    @Test(.timeLimit(.minutes(1))) func missingOutputFoldersAreMade() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let html = directory.appendingPathComponent("pages/bench.html").path
        let json = directory.appendingPathComponent("data/merged.json").path
        let command = try #require(
            try UringBench.parseAsRoot([
                "report", "--html", html, "--json", json, try ReportFixtures.path(ReportFixtures.all[0]),
            ])
                as? ReportCommand
        )
        try await command.run()
        #expect(FileManager.default.fileExists(atPath: html))
        #expect(FileManager.default.fileExists(atPath: json))
    }

    @Test func withoutJSON() throws {
        let command = try #require(
            try UringBench.parseAsRoot(["report", "--html", "a.html", "in.json"]) as? ReportCommand
        )
        #expect(command.json == nil)
        #expect(command.title == HTMLReport.defaultTitle)
        #expect(command.inputs == ["in.json"])
    }

    @Test func resultsGoBesideTheReportUnlessAnInputIsThere() throws {
        let parse = { (arguments: [String]) in
            try #require(try UringBench.parseAsRoot(["report"] + arguments) as? ReportCommand)
        }
        #expect(try parse(["--html", "out/bench.html", "runs.json"]).resultsPath() == "out/bench.json")
        #expect(try parse(["--html", "out/bench.html", "--json", "m.json", "runs.json"]).resultsPath() == "m.json")
        #expect(try parse(["--html", "out/bench.html", "http.json", "./out/bench.json"]).resultsPath() == nil)
    }

    @Test(arguments: [["report", "in.json"], ["report", "--html", "a.html"]])
    func refusedArguments(arguments: [String]) {
        #expect(throws: (any Error).self) { try UringBench.parseAsRoot(arguments) }
    }

    @Test func runnersTakeReport() throws {
        let run = try #require(try UringBench.parseAsRoot(["run", "--report", "echo.html"]) as? RunCommand)
        #expect(run.report == "echo.html")
        let http = try #require(try UringBench.parseAsRoot(["http-run", "--report", "http.html"]) as? HTTPRunCommand)
        #expect(http.report == "http.html")
        #expect(try #require(try UringBench.parseAsRoot(["run"]) as? RunCommand).report == nil)
    }

    @Test func aRunnersReportWritesItsResultsBeside() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        guard case .httpRecords(let records) = try ReportFixtures.read(ReportFixtures.http) else {
            Issue.record("the HTTP fixture reads as another kind")
            return
        }
        let html = directory.appendingPathComponent("http.html").path
        let jsonPath = try ReportFiles.writeRun(
            [SuiteResults.httpSuite(from: records)],
            conditions: ReportFixtures.conditions,
            htmlPath: html
        )
        #expect(jsonPath == directory.appendingPathComponent("http.json").path)
        let results = try JSONDecoder().decode(
            BenchResults.self,
            from: Data(contentsOf: URL(fileURLWithPath: jsonPath))
        )
        #expect(results.suites.map(\.name) == ["http"])
        // The runs' median interference fills the conditions' unknown one.
        #expect(results.conditions.interference != nil)
        #expect(FileManager.default.fileExists(atPath: html))
    }
}

/// A real measured run, short: the record carries the interference and steal the runner
/// measured around it, and its report draws it.
@Suite struct MeasuredRunReportTests {
    @Test(.timeLimit(.minutes(1))) func aMeasuredRunCarriesItsInterference() async throws {
        let executable = try #require(EchoEndToEndTests.builtExecutable(), "uring-bench is built beside the tests")
        let server = BenchServer(kind: .asyncUring, executable: executable)
        let plan = RunPlan(
            servers: [server],
            cases: [BenchCase(connections: 2, size: 64)],
            repetitions: 1,
            durationSeconds: 0.5,
            warmupSeconds: 0,
            loadGenerator: LoadGenerator(kind: .uring, executable: executable),
            pinning: CPUPinning(tasksetPath: nil)
        )
        let record = try await BenchRunner(plan: plan, progress: { _ in }).measure(
            server,
            benchCase: plan.cases[0],
            repetition: 1
        )
        #expect(record.isSuccess)
        let interference = try #require(record.interference)
        // A share of one CPU: at most every CPU of the machine.
        #expect(interference >= 0 && interference <= Double(ProcessInfo.processInfo.activeProcessorCount))
        #expect(record.steal != nil)
        let suite = try #require(SuiteResults.echoSuites(from: [record]).first)
        #expect(suite.measurements.first?.interference == interference)
        #expect(suite.measurements.first?.latency.map(\.percentile) == [50, 90, 99, 99.9])
        let html = HTMLReport(BenchResults(conditions: ReportFixtures.conditions, suites: [suite])).render()
        #expect(ReportPage.charts(in: html).map(\.kind) == ["throughput", "cpu", "latency"])
    }
}

extension BenchResults {
    func with(conditions: RunConditions) -> BenchResults {
        var copy = self
        copy.conditions = conditions
        return copy
    }
}
