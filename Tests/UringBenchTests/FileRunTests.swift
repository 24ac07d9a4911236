import ArgumentParser
import Foundation
import Testing

@testable import uring_bench

@Suite(.timeLimit(.minutes(1))) struct FileRunTests {
    @Test func defaultsCoverEveryCaseOnCPU0() throws {
        let command = try #require(try UringBench.parseAsRoot(["file-run"]) as? FileRunCommand)
        #expect(command.sizeInBytes == 1 << 30)
        #expect(command.repetitions == 3 && command.cpu == 0 && command.json == nil)
        #expect(try command.caseList == FileCase.allCases)
        #expect(command.path.hasPrefix("/var/tmp/"))
    }

    @Test(arguments: [("1G", Int64(1) << 30), ("512M", 512 << 20), ("64k", 64 << 10), ("4096", 4096)])
    func sizesTakeSuffixes(text: String, bytes: Int64) {
        #expect(FileRunParsing.size(text) == bytes)
    }

    @Test(arguments: [
        ["file-run", "--size", "lots"], ["file-run", "--size", "100K"], ["file-run", "--repetitions", "0"],
        ["file-run", "--seconds", "0"], ["file-run", "--cases", "warm depth 8"],
        ["file-read", "--path", "x", "--depth", "0"],
        ["file-read", "--path", "x", "--direct", "--block", "1000"],
    ])
    func badArgumentsAreRefusedNamingTheOption(arguments: [String]) {
        do {
            _ = try UringBench.parseAsRoot(arguments)
            Issue.record("\(arguments) was accepted")
        } catch {
            let message = UringBench.message(for: error)
            let option = arguments.dropFirst().first { $0.hasPrefix("--") && $0 != "--path" && $0 != "--direct" } ?? ""
            #expect(message.contains(option) || message.contains("case"), "\(message)")
        }
    }

    @Test func fileReadTakesDirectAndRegistered() throws {
        let command = try #require(
            try UringBench.parseAsRoot(["file-read", "--path", "f", "--depth", "32", "--direct", "--registered"])
                as? FileReadCommand
        )
        #expect(command.direct && command.registered && command.depth == 32)
    }

    @Test func aMissingFioFailsNamingTheInstall() throws {
        let command = try #require(
            try UringBench.parseAsRoot(["file-run", "--fio", "/nonexistent/fio"]) as? FileRunCommand
        )
        do {
            _ = try command.makePlan()
            Issue.record("a missing fio was accepted")
        } catch {
            #expect("\(error)".contains("fio not found") && "\(error)".contains("installs nothing"))
        }
    }

    @Test func commandsPinEveryReaderAndMatchTheCase() {
        let plan = FileRunPlan(
            path: "/var/tmp/f",
            size: 1 << 30,
            seconds: 3,
            cpu: 0,
            fio: "/usr/bin/fio",
            selfExecutable: "/bin/ub",
            nioPeer: nil,
            taskset: "/usr/bin/taskset",
            cases: FileCase.allCases,
            readers: FileReader.allCases
        )
        let fio = plan.command(.fioIoUring, .directDepth32) ?? []
        for flag in ["--ioengine=io_uring", "--iodepth=32", "--direct=1", "--cpus_allowed=0", "--output-format=json"] {
            #expect(fio.contains(flag), "\(flag)")
        }
        #expect(plan.command(.fioPsync, .cachedDepth1)?.contains("--ioengine=psync") == true)
        #expect(plan.command(.fioIoUring, .cachedDepth32)?.contains("--invalidate=0") == true)
        let registered = plan.command(.uringRegistered, .directDepth32) ?? []
        #expect(Array(registered.prefix(3)) == ["/usr/bin/taskset", "-c", "0"])
        #expect(registered.contains("--direct") && registered.contains("--registered") && registered.contains("32"))
        func driver(_ reader: FileReader) -> String? {
            let command = plan.command(reader, .cachedDepth32) ?? []
            return command.firstIndex(of: "--driver").map { command[$0 + 1] }
        }
        #expect(driver(.uringEpoll) == "epoll" && driver(.uring) == "io_uring")
        #expect(plan.command(.nio, .cachedDepth1) == nil)
        #expect(!FileReader.nio.runs(.directDepth32) && !FileReader.fioPsync.runs(.cachedDepth32))
    }

    @Test func fioJSONAndFileReadLinesParse() throws {
        let fio = """
            note: both iodepth >= 1 and synchronous I/O engine are selected
            {"jobs": [{"read": {"iops": 83000.5, "clat_ns": {"percentile": {"50.000000": 380000, "99.000000": 900000}}}}]}
            """
        let figures = try FileRunParsing.fio(fio)
        #expect(figures.iops == 83000.5)
        #expect(
            figures.latency == [
                LatencyPoint(percentile: 50, microseconds: 380), LatencyPoint(percentile: 99, microseconds: 900),
            ]
        )
        let line = "file-read driver=io_uring depth=32 block=4096 direct=1 reads=10 seconds=1.0 iops=123456\n"
        #expect(try FileRunParsing.fileReadLine(line).iops == 123456)
        #expect(throws: RunOptionsError.self) { try FileRunParsing.fio("fio: no such file") }
        #expect(throws: RunOptionsError.self) { try FileRunParsing.fileReadLine("listening") }
    }

    @Test func theSummaryTakesMediansRatiosAndFloorsAndTheCommonSchema() throws {
        func record(_ reader: FileReader, _ fileCase: FileCase, _ repetition: Int, _ iops: Double?) -> FileRunRecord {
            FileRunRecord(
                reader: reader,
                fileCase: fileCase,
                repetition: repetition,
                figures: iops.map { FileRunFigures(iops: $0, latency: []) },
                failure: iops == nil ? "crashed" : nil
            )
        }
        let records = [
            record(.fioIoUring, .directDepth32, 1, 100), record(.fioIoUring, .directDepth32, 2, 80),
            record(.fioIoUring, .directDepth32, 3, 90), record(.uring, .directDepth32, 1, 95),
            record(.uring, .directDepth32, 2, 86), record(.uring, .directDepth32, 3, nil),
        ]
        #expect(FileRunSummary.median(records, .fioIoUring, .directDepth32) == 90)
        #expect(FileRunSummary.median(records, .uring, .directDepth32) == 90.5)
        let table = FileRunSummary.table(records, cases: [.directDepth32], readers: FileReader.allCases)
        #expect(table.contains("1.01x") && table.contains("2/3"))
        #expect(table.contains("floor direct depth 32: uring >= 0.95x fio-io_uring: 1.01x, met"))
        let conditions = RunConditions(
            date: "d",
            kernel: "k",
            cpuModel: "c",
            cpuCount: 2,
            swiftVersion: "s",
            serverCPUs: "0",
            loadCPUs: "0"
        )
        let results = FileRunSummary.results(records, cases: [.directDepth32], conditions: conditions)
        let suite = try #require(results.suites.first)
        #expect(suite.name == "file" && suite.throughputUnit == "IOPS" && suite.yardstick == "fio-io_uring")
        #expect(suite.cases == ["direct depth 32"] && suite.measurements.count == 6)
        #expect(suite.measurements.last?.failure == "crashed")
        let decoded = try JSONDecoder().decode(BenchResults.self, from: JSONEncoder().encode(results))
        #expect(decoded == results)
    }
}
