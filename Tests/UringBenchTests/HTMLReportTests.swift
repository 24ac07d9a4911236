import Foundation
import Testing

@testable import uring_bench

/// The page `report` writes: its charts and series, its table and conditions, failed runs
/// kept out of the medians, and nothing that refers outside the file.
@Suite struct HTMLReportTests {
    static let expectedServers: [String: [String]] = [
        "echo": ["async-uring", "nio-echo-handler", "nio-echo-async", "echo_uring", "echo_epoll"],
        "udp": ["async-uring-udp", "async-uring-udp-epoll", "nio-udp-echo", "udp_echo"],
        "http": ["async-uring", "hummingbird-uring", "hummingbird-nio", "nginx"],
        "resp": ["redis-server", "example-resp"],
        "file": ["async-uring", "fio"],
    ]

    /// What a page of every fixture must hold, checked on the page as written and on the
    /// DOM a browser made of it.
    static func checkCharts(in html: String, results: BenchResults) {
        let charts = ReportPage.charts(in: html)
        for suite in results.suites {
            let servers = expectedServers[suite.name] ?? []
            for kind in ["throughput", "cpu"] {
                let chart = charts.first { $0.kind == kind && $0.suite == suite.name }
                #expect(chart?.series == servers, "\(kind) chart of \(suite.name)")
            }
            let latency = charts.filter { $0.kind == "latency" && $0.suite == suite.name }
            #expect(latency.map(\.caseName) == suite.cases, "latency charts of \(suite.name)")
            for chart in latency {
                #expect(!chart.series.isEmpty && Set(chart.series).isSubset(of: Set(servers)))
            }
        }
        #expect(charts.count == results.suites.map { 2 + $0.cases.count }.reduce(0, +))
    }

    @Test func chartsAndSeriesOfEverySuite() throws {
        let results = try ReportFixtures.merged()
        let html = HTMLReport(results, title: "Fixtures").render()
        Self.checkCharts(in: html, results: results)
        #expect(html.contains("<title>Fixtures</title>"))
        for suite in results.suites {
            #expect(html.contains("<table class=\"numbers\" data-suite=\"\(suite.name)\">"))
        }
    }

    @Test func noExternalReference() throws {
        let html = HTMLReport(try ReportFixtures.merged()).render()
        #expect(ReportPage.externalReferences(in: html) == [])
        #expect(!html.contains("<script"))
    }

    @Test(
        arguments: [
            "<img src=\"http://example.com/a.png\">", "<a href=\"//cdn.example/x\">x</a>",
            "<style>@import 'x.css';</style>", "<style>body { background: url(pic.png) }</style>",
            "<script src=\"a.js\"></script>", "<use href=\"other.svg#a\"/>",
        ]
    )
    func theCheckFindsExternalReferences(markup: String) {
        #expect(!ReportPage.externalReferences(in: markup).isEmpty)
    }

    @Test func fragmentsAndDataAreNotExternal() {
        let markup = "<a href=\"#suite-echo\">e</a><rect fill=\"url(#g)\"/><image href=\"data:image/png;base64,AA\"/>"
        #expect(ReportPage.externalReferences(in: markup) == [])
    }

    @Test func ratiosToTheYardstickArePrinted() throws {
        let results = try ReportFixtures.merged()
        let html = HTMLReport(results).render()
        let echo = SuiteSummary(try #require(results.suites.first { $0.name == "echo" }))
        let cell = try #require(echo.cell(server: "async-uring", caseName: "50:64"))
        let ratio = try #require(cell.throughputRatio)
        #expect(ratio > 0.6 && ratio < 0.9)
        let chart = try #require(ReportPage.charts(in: html).first { $0.kind == "throughput" && $0.suite == "echo" })
        #expect(chart.markup.contains(">\(ReportFormat.ratio(ratio))</text>"))
        #expect(chart.markup.contains("class=\"yardstick-line\""))
        let yardstick = try #require(echo.cell(server: "echo_uring", caseName: "50:64"))
        #expect(yardstick.throughputRatio == 1)
        #expect(yardstick.cpuRatio == 1)
    }

    @Test func failedRunsAreShownAndNeverAveraged() throws {
        let results = try ReportFixtures.merged()
        let echo = SuiteSummary(try #require(results.suites.first { $0.name == "echo" }))
        let cell = try #require(echo.cell(server: "nio-echo-async", caseName: "500:64"))
        #expect(cell.failed.map(\.repetition) == [2])
        #expect(cell.throughput?.values.count == 2)
        #expect(cell.succeeded.allSatisfy { $0.failure == nil })
        let html = HTMLReport(results).render()
        #expect(html.contains("Failed runs (1)"))
        #expect(html.contains("nio-echo-async, 500:64, run 2: load generator exit status 1; 12 errors"))
        // hummingbird-nio failed every pipelined and close run: no bar, a label, a red row.
        let http = try #require(ReportPage.charts(in: html).first { $0.kind == "throughput" && $0.suite == "http" })
        #expect(http.markup.components(separatedBy: "class=\"failed-run\"").count - 1 == 6)
        #expect(http.markup.contains(">failed</text>"))
        #expect(html.contains("<tr class=\"failed\"><th scope=\"row\" data-server=\"hummingbird-nio\">"))
    }

    @Test func conditionsAreListed() throws {
        let html = HTMLReport(try ReportFixtures.merged()).render()
        for text in [
            "Linux 6.18.0-1-amd64", "AMD EPYC 9B14, 2 CPUs", "Swift version 6.3.1", "server on CPU 0, load on CPU 1",
            "1.2% of one CPU used by other processes", "ed01ec2a1b2c", "2026-12-01T09:12:44Z",
        ] {
            #expect(html.contains(text), "\(text)")
        }
    }

    @Test func textIsEscaped() {
        let suite = SuiteResults(
            name: "echo",
            throughputUnit: "round trips",
            costUnit: nil,
            yardstick: nil,
            cases: ["1:<64>"],
            measurements: [
                Measurement(
                    server: "a<b>&\"c\"",
                    caseName: "1:<64>",
                    repetition: 1,
                    throughput: 10,
                    cpuMicroseconds: nil,
                    latency: [],
                    failure: nil
                )
            ]
        )
        let html = HTMLReport(BenchResults(conditions: ReportFixtures.conditions, suites: [suite]), title: "<x>")
            .render()
        #expect(html.contains("data-server=\"a&lt;b&gt;&amp;&quot;c&quot;\""))
        #expect(html.contains("<title>&lt;x&gt;</title>"))
        #expect(!html.contains("a<b>"))
        // Nothing measured CPU or latency: the throughput chart alone.
        #expect(ReportPage.charts(in: html).map(\.kind) == ["throughput"])
    }

    @Test func aRateUnitIsNotPerSecondTwice() throws {
        let results = try ReportFixtures.merged()
        let file = try #require(results.suites.first { $0.name == "file" })
        #expect(file.throughputLabel == "IOPS")
        #expect(try #require(results.suites.first).throughputLabel == "round trips per second")
        let html = HTMLReport(results).render()
        #expect(html.contains("<figcaption>IOPS (higher is better)</figcaption>"))
        #expect(!html.contains("IOPS per second") && !html.contains("IOPS/s"))
    }

    @Test func narrowBarsTurnTheirLabelsUpright() throws {
        let runs = (0..<12).flatMap { server in
            ["a", "b", "c", "d"].map { caseName in
                Measurement(
                    server: "server-\(server)",
                    caseName: caseName,
                    repetition: 1,
                    throughput: Double(100 + server),
                    cpuMicroseconds: nil,
                    latency: [],
                    failure: nil
                )
            }
        }
        let suite = SuiteResults(
            name: "echo",
            throughputUnit: "round trips",
            costUnit: nil,
            yardstick: "server-0",
            cases: ["a", "b", "c", "d"],
            measurements: runs
        )
        let chart = BarChart(summary: SuiteSummary(suite), figure: .throughput, palette: ServerPalette([suite])).svg()
        let labels = chart.matches(of: /<text class="ratio"[^>]*>/).map { String($0.output) }
        #expect(labels.count == 48)
        #expect(labels.allSatisfy { $0.contains("rotate(-90") })
    }

    @Test func coloursStayWithTheServerAcrossSuites() throws {
        let results = try ReportFixtures.merged()
        let palette = ServerPalette(results.suites)
        let html = HTMLReport(results).render()
        let colour = palette.colour(of: "async-uring")
        let series = html.matches(of: /<g class="series" data-server="async-uring" [^>]*>/).map { String($0.output) }
        #expect(series.count > 4)
        #expect(series.allSatisfy { $0.contains(colour) })
        #expect(palette.colour(of: "nginx") == ServerPalette.yardstickColour)
        #expect(palette.colour(of: "async-uring") != palette.colour(of: "async-uring-udp"))
    }
}
