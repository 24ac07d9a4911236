import Testing

@testable import uring_bench

@Suite struct HTTPSummaryTests {
    static func record(
        _ server: String,
        _ shape: HTTPShape = .c64,
        repetition: Int,
        rps: Double,
        cpu: Double = 1_000_000,
        readErrors: Int = 0
    ) -> HTTPRunRecord {
        let requests = Int(rps) * 5
        return HTTPRunRecord(
            server: server,
            shape: shape,
            repetition: repetition,
            path: "/plaintext",
            durationSeconds: 5,
            warmupSeconds: 1,
            wrkExitStatus: 0,
            wrk: WrkReport(
                requests: requests,
                seconds: 5,
                requestsPerSecond: rps,
                latencyMicroseconds: [50: 100, 75: 150, 90: 200, 99: 400],
                readErrors: readErrors
            ),
            serverCPUMicroseconds: cpu
        )
    }

    @Test func mediansAndPairedRatiosToNginx() throws {
        let records = [
            Self.record("nginx", repetition: 1, rps: 100),
            Self.record("hummingbird-nio", repetition: 1, rps: 50),
            Self.record("nginx", repetition: 2, rps: 200),
            Self.record("hummingbird-nio", repetition: 2, rps: 60),
            Self.record("nginx", repetition: 3, rps: 100),
            Self.record("hummingbird-nio", repetition: 3, rps: 40, readErrors: 3),
        ]
        let rows = HTTPSummary.rows(records, servers: ["nginx", "hummingbird-nio"], shapes: [.c64, .close])
        #expect(rows.count == 2)
        let nginx = rows[0]
        #expect(nginx.server == "nginx")
        #expect(nginx.medianRequestsPerSecond == 100)
        #expect(nginx.requestsPerSecondVersusNginx == 1)
        #expect(nginx.cpuPerRequestVersusNginx == 1)
        let peer = rows[1]
        #expect(peer.runs == 3)
        #expect(peer.failedRuns == 1)
        #expect(peer.medianRequestsPerSecond == 55)
        #expect(peer.medianP50Microseconds == 100)
        #expect(peer.medianP99Microseconds == 400)
        // Repetition 1: 50/100, repetition 2: 60/200; the failed third is left out.
        #expect(peer.requestsPerSecondVersusNginx == (0.5 + 0.3) / 2)
        // Same CPU per run, so CPU per request goes as 1/requests: 2x and 3.33x nginx's.
        let cpuRatio = try #require(peer.cpuPerRequestVersusNginx)
        #expect(abs(cpuRatio - (2 + 10.0 / 3) / 2) < 1e-9)
        let table = HTTPSummary.table(rows)
        #expect(table.hasPrefix("server"))
        #expect(table.contains("rps vs nginx"))
        #expect(table.contains("hummingbird-nio (1/3 failed)"))
    }

    @Test func noNginxNoRatioColumns() {
        let rows = HTTPSummary.rows(
            [Self.record("hummingbird-nio", repetition: 1, rps: 50)],
            servers: ["hummingbird-nio"],
            shapes: [.c64]
        )
        #expect(rows.first?.requestsPerSecondVersusNginx == nil)
        #expect(!HTTPSummary.table(rows).contains("vs nginx"))
    }
}
