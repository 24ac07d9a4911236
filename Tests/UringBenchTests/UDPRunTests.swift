import ArgumentParser
import Testing

@testable import uring_bench

/// `uring-bench run --udp`: options, the udp_loadgen result and the table; no timing.
@Suite struct UDPRunTests {
    /// udp_loadgen's output against udp_echo (16 flows of 64 bytes, one second).
    static let udpLoadgenOutput = """
        RESULT rps=37524 p50_us=129.0 p99_us=4325.4 mean_us=426.7 lost=0 bad=0 srv_us_per_rt=5.06 flows=16 size=64
        """

    static let flows16 = BenchCase(connections: 16, size: 64)

    private func parse(_ arguments: [String]) throws -> RunCommand {
        try #require(try UringBench.parseAsRoot(["run"] + arguments) as? RunCommand)
    }

    static func record(
        _ server: String,
        repetition: Int,
        rps: Double,
        serverCPU: Double = 5,
        lost: Double = 0,
        bad: Double = 0,
        exitStatus: Int32 = 0
    ) -> RunRecord {
        RunRecord(
            server: server,
            benchCase: flows16,
            repetition: repetition,
            loadgen: .udp,
            outcome: LoadOutcome(
                fields: [
                    "rps": rps, "p50_us": 100, "p99_us": 300, "lost": lost, "bad": bad, "srv_us_per_rt": serverCPU,
                ],
                exitStatus: exitStatus,
                log: ""
            ),
            runnerServerCPU: nil,
            warmupSeconds: 1,
            durationSeconds: 3
        )
    }

    @Test(.timeLimit(.minutes(1))) func udpDefaults() throws {
        let command = try parse(["--udp", "--c-sources", "/work/shared/bench"])
        #expect(command.transport == .udp)
        #expect(command.loadgenKind == .udp)
        #expect(try command.benchCases().map(\.description) == ["1:64", "16:64", "256:64", "16:1200"])
        #expect(try command.serverKinds() == [.asyncUringUDP, .asyncUringUDPEpoll, .nioUDPEcho, .udpEcho])
    }

    @Test(.timeLimit(.minutes(1))) func withoutUDPTheDefaultsStayTCP() throws {
        let command = try parse([])
        #expect(command.transport == .tcp)
        #expect(command.loadgenKind == .uring)
        #expect(try command.serverKinds().allSatisfy { $0.transport == .tcp })
        #expect(try command.benchCases().count == 4)
    }

    @Test(
        .timeLimit(.minutes(1)),
        arguments: [
            ["--udp"],  // no udp_loadgen to find
            ["--udp", "--c-yardsticks", "/tmp/y", "--servers", "async-uring-udp,echo_uring"],
            ["--servers", "udp_echo"],
            ["--loadgen", "udp", "--loadgen-bin", "/tmp/udp_loadgen"],
            ["--udp", "--loadgen", "c", "--loadgen-bin", "/tmp/y/loadgen"],
            ["--udp", "--c-yardsticks", "/tmp/y", "--duration", "1.5"],
            ["--udp", "--c-yardsticks", "/tmp/y", "--warmup", "0.5"],
            ["--udp", "--c-yardsticks", "/tmp/y", "--cases", "16:8"],
            ["--udp", "--c-yardsticks", "/tmp/y", "--cases", "16:65001"],
        ]
    )
    func badUDPArgumentsAreRejected(arguments: [String]) {
        #expect(throws: (any Error).self) { try UringBench.parseAsRoot(["run"] + arguments) }
    }

    @Test(.timeLimit(.minutes(1))) func serversAndLoadArguments() throws {
        #expect(
            ServerKind.asyncUringUDP.arguments(port: 0).prefix(5) == [
                "udp-echo-server", "--host", "127.0.0.1", "--port", "0",
            ]
        )
        #expect(ServerKind.asyncUringUDP.arguments(port: 0).suffix(2) == ["--driver", "io_uring"])
        #expect(ServerKind.asyncUringUDPEpoll.arguments(port: 0).suffix(2) == ["--driver", "epoll"])
        #expect(ServerKind.asyncUringUDP.arguments(port: 0).contains("--receive-buffer-size"))
        #expect(ServerKind.udpEcho.arguments(port: 4242) == ["4242"])
        #expect(ServerKind.udpEcho.readiness == .answersDatagram)
        #expect(ServerKind.nioUDPEcho.readiness == .announcement)
        let loadgen = LoadGenerator(kind: .udp, executable: "/y/udp_loadgen")
        let arguments = loadgen.arguments(
            port: 4242,
            benchCase: BenchCase(connections: 256, size: 1200),
            durationSeconds: 3,
            warmupSeconds: 1,
            serverPID: 77
        )
        #expect(
            arguments == ["-p", "4242", "-h", "127.0.0.1", "-f", "256", "-s", "1200", "-d", "3", "-w", "1", "-P", "77"]
        )
    }

    @Test(.timeLimit(.minutes(1))) func aMissingNIOPeerIsSkippedWithANote() {
        let (servers, notes) = BenchServer.locate(
            [.asyncUringUDP, .nioUDPEcho, .udpEcho],
            selfExecutable: "/bin/uring-bench",
            nioDirectory: "/nonexistent",
            yardstickDirectory: nil
        )
        #expect(servers.map(\.kind) == [.asyncUringUDP])
        #expect(notes.count == 2)
        #expect(notes[0].hasPrefix("skipping nio-udp-echo: /nonexistent/nio-udp-echo not found"))
    }

    @Test(.timeLimit(.minutes(1))) func theUDPResultLineBecomesARecord() throws {
        let fields = try #require(ResultLine.parse(output: Self.udpLoadgenOutput))
        #expect(fields["rps"] == 37524)
        #expect(fields["lost"] == 0)
        #expect(fields["bad"] == 0)
        #expect(fields.count == 9)
        let record = RunRecord(
            server: "udp_echo",
            benchCase: Self.flows16,
            repetition: 1,
            loadgen: .udp,
            outcome: LoadOutcome(fields: fields, exitStatus: 0, log: ""),
            runnerServerCPU: 999,
            warmupSeconds: 1,
            durationSeconds: 1
        )
        #expect(record.isSuccess)
        #expect(record.errors == 0)
        #expect(record.lost == 0)
        #expect(record.p99Microseconds == 4325.4)
        #expect(record.serverMicrosecondsPerRoundTrip == 5.06)
        #expect(record.serverCPUSource == "loadgen")
        #expect(record.loadgen == "udp")
    }

    @Test(.timeLimit(.minutes(1))) func badRepliesFailARunAndLossesAreKept() {
        #expect(!Self.record("udp_echo", repetition: 1, rps: 10, bad: 2).isSuccess)
        #expect(Self.record("udp_echo", repetition: 1, rps: 10, bad: 2).errors == 2)
        let lossy = Self.record("udp_echo", repetition: 1, rps: 10, lost: 7)
        #expect(lossy.isSuccess)
        #expect(lossy.lost == 7)
    }

    @Test(.timeLimit(.minutes(1))) func rowsPairWithUDPEcho() throws {
        let records = [
            Self.record("async-uring-udp", repetition: 1, rps: 80, serverCPU: 6, lost: 3),
            Self.record("udp_echo", repetition: 1, rps: 100, serverCPU: 4),
            Self.record("async-uring-udp", repetition: 2, rps: 60, serverCPU: 9, lost: 5),
            Self.record("udp_echo", repetition: 2, rps: 50, serverCPU: 6),
        ]
        let rows = Summary.rows(records, servers: ["async-uring-udp", "udp_echo"], cases: [Self.flows16])
        let ours = try #require(rows.first)
        #expect(ours.medianRoundTripsPerSecond == 70)
        #expect(ours.medianLost == 4)
        #expect(ours.ratioToUDPEcho == (0.8 + 1.2) / 2)
        #expect(ours.cpuRatioToUDPEcho == 1.5)
        #expect(ours.ratioToEchoUring == nil)
        #expect(rows[1].ratioToUDPEcho == 1)
    }

    @Test(.timeLimit(.minutes(1))) func udpTableHasLostAndUDPEchoColumns() {
        let records = [
            Self.record("async-uring-udp", repetition: 1, rps: 80000, serverCPU: 6, lost: 3),
            Self.record("udp_echo", repetition: 1, rps: 100000, serverCPU: 4),
        ]
        let table = Summary.table(
            Summary.rows(records, servers: ["async-uring-udp", "udp_echo"], cases: [Self.flows16])
        )
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        let header = lines[0].split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        #expect(header == "server case rps p50 us p99 us lost srv us/rt vs best peer vs udp_echo CPU vs udp_echo")
        let cells = lines[1].split(separator: " ", omittingEmptySubsequences: true)
        #expect(
            cells == ["async-uring-udp", "16:64", "80000", "100.0", "300.0", "3", "6.00", "0.80x", "0.80x", "1.50x"]
        )
        #expect(
            lines[2].split(separator: " ", omittingEmptySubsequences: true).suffix(4) == [
                "4.00", "1.25x", "1.00x", "1.00x",
            ]
        )
        #expect(Set(lines.map(\.count)).count == 1)
    }

    @Test(.timeLimit(.minutes(1))) func tcpTableHasNoLostColumn() {
        let table = Summary.table(
            Summary.rows(
                [SummaryTests.record("async-uring", repetition: 1, rps: 10)],
                servers: ["async-uring"],
                cases: [SummaryTests.small]
            )
        )
        #expect(!table.contains("lost"))
        #expect(!table.contains("udp_echo"))
    }
}
