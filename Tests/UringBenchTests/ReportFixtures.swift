import Foundation
import Testing

@testable import uring_bench

/// The recorded JSON the report tests read (Fixtures/): one file of each kind `report`
/// takes, with figures shaped on the README's measured tables, one failed echo run and
/// hummingbird-nio's failing HTTP shapes among them.
enum ReportFixtures {
    static let echo = "echo-run"
    static let udp = "udp-run"
    static let http = "http-run"
    static let resp = "resp-bench"
    static let file = "file-results"
    static let all = [echo, udp, http, resp, file]

    static func path(_ name: String) throws -> String {
        try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures")).path
    }

    static func read(_ name: String) throws -> ResultsFile { try ResultsFile.read(path(name)) }

    /// Conditions for documents made of raw records only.
    static let conditions = RunConditions(
        date: "2026-12-02T10:00:00Z",
        kernel: "Linux 6.18.0-1-amd64 #1 SMP PREEMPT_DYNAMIC x86_64",
        cpuModel: "AMD EPYC 9B14",
        cpuCount: 2,
        swiftVersion: "Swift version 6.3.1 (swift-6.3.1-RELEASE)",
        serverCPUs: "0",
        loadCPUs: "1",
        interference: nil,
        commit: "0123456789ab"
    )

    /// Every fixture merged, in the order of ``all``.
    static func merged() throws -> BenchResults {
        BenchResults.merging(try all.map(read), fallback: conditions)
    }
}

/// What the report tests look for in a page: its charts and their series, and anything
/// that would make the browser fetch from elsewhere.
enum ReportPage {
    /// One `<svg class="chart ...">` element of a page.
    struct Chart: Equatable {
        var kind: String
        var suite: String
        var caseName: String?
        /// The `data-server` of each `<g class="series">`, in order.
        var series: [String]
        var markup: String
    }

    /// Every chart of `html` (the page as written, or the DOM a browser dumped).
    static func charts(in html: String) -> [Chart] {
        var charts: [Chart] = []
        var rest = html[...]
        while let start = rest.range(of: "<svg class=\"chart ") {
            guard let end = rest[start.upperBound...].range(of: "</svg>") else { break }
            let markup = String(rest[start.lowerBound..<end.upperBound])
            let opening = String(markup[..<(markup.firstIndex(of: ">") ?? markup.endIndex)])
            charts.append(
                Chart(
                    kind: attribute("class", in: opening)?.split(separator: " ").dropFirst().joined(separator: " ")
                        ?? "",
                    suite: attribute("data-suite", in: opening) ?? "",
                    caseName: attribute("data-case", in: opening),
                    series: markup.matches(of: /<g class="series" data-server="([^"]*)"/).map { String($0.output.1) },
                    markup: markup
                )
            )
            rest = rest[end.upperBound...]
        }
        return charts
    }

    static func attribute(_ name: String, in tag: String) -> String? {
        guard let range = tag.range(of: " \(name)=\"") else { return nil }
        let value = tag[range.upperBound...]
        return value.firstIndex(of: "\"").map { String(value[..<$0]) }
    }

    /// Whatever in `html` refers outside the file: a URL with a scheme other than `data:`,
    /// a protocol-relative `src` or `href`, an `@import`, a `url(...)` to anything but a
    /// fragment or `data:`, a script or a linked resource.
    static func externalReferences(in html: String) -> [String] {
        var found: [String] = []
        let lowered = html.lowercased()
        for marker in ["http://", "https://", "ftp://", "file://", "@import", "<script", "<link", "<iframe", "<img"]
        where lowered.contains(marker) {
            found.append(marker)
        }
        for match in lowered.matches(of: /(?:src|href|xlink:href)\s*=\s*"([^"]*)"/) {
            let target = String(match.output.1)
            if !(target.hasPrefix("#") || target.hasPrefix("data:")) { found.append("reference to \(target)") }
        }
        for match in lowered.matches(of: /url\(\s*['"]?([^)'"]*)/) {
            let target = String(match.output.1)
            if !(target.hasPrefix("#") || target.hasPrefix("data:")) { found.append("url(\(target))") }
        }
        return found
    }
}
