import ArgumentParser
import Foundation

/// `uring-bench file-run`: random 4 KiB reads of one test file by fio (the yardstick, io_uring
/// and psync engines), `uring-bench file-read` (plain, registered buffers, direct I/O) and
/// SwiftNIO's file system (`nio-file-read`), all on one CPU, in repetitions; prints medians
/// and ratios to fio's io_uring engine, and the floors.
struct FileRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "file-run",
        abstract: "Measure random 4 KiB file reads beside fio; print medians and ratios.",
        discussion: """
            Cases: \(FileCase.allCases.map(\.rawValue).joined(separator: ", ")). Readers: \
            \(FileReader.allCases.map(\.rawValue).joined(separator: ", ")) (nio from --nio-bin, skipped \
            when missing; psync at depth 1 only). Lays out the test file when it is missing or short \
            and reads it once to warm the page cache before the cached cases. Direct I/O needs a file \
            on a disk-backed file system. Installs nothing: fio must be there (scripts/bench.sh \
            installs it).
            """
    )

    @Option(help: "The test file (laid out when missing or shorter than --size).")
    var path = "/var/tmp/uring-bench-file-run.dat"

    @Option(help: "The test file's size: bytes, or with a K, M or G suffix.")
    var size = "1G"

    @Option(help: "Times each reader runs each case.")
    var repetitions = 3

    @Option(help: "Whole seconds per run.")
    var seconds = 3

    @Option(help: "The CPU every reader is pinned to.")
    var cpu = 0

    @Option(help: "Comma-separated cases, in order.")
    var cases = FileCase.allCases.map(\.rawValue).joined(separator: ",")

    @Option(help: "Where the Benchmarks package's release binaries are (nio-file-read).")
    var nioBin = "Benchmarks/.build/release"

    @Option(help: "The fio executable (default: fio on PATH).")
    var fio: String?

    @Option(help: "Write the figures to this file, in the common BenchResults schema, as JSON.")
    var json: String?

    @Flag(help: "Remove the test file afterwards.")
    var removeFile = false

    var sizeInBytes: Int64? { FileRunParsing.size(size) }

    var caseList: [FileCase] {
        get throws {
            try cases.split(separator: ",").map { name in
                guard let fileCase = FileCase(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                    let known = FileCase.allCases.map(\.rawValue).joined(separator: ", ")
                    throw ValidationError("unknown case '\(name)' in --cases; known: \(known)")
                }
                return fileCase
            }
        }
    }

    func validate() throws {
        guard let bytes = sizeInBytes, bytes >= 1 << 20 else {
            throw ValidationError("--size must be at least 1M (bytes, or with a K, M or G suffix), not '\(size)'")
        }
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1, not \(repetitions)") }
        guard seconds >= 1 else { throw ValidationError("--seconds must be at least 1, not \(seconds)") }
        guard cpu >= 0 else { throw ValidationError("--cpu must not be negative, not \(cpu)") }
        guard try !caseList.isEmpty else { throw ValidationError("--cases names no case") }
    }

    /// Finds fio, taskset and the peers; fails when fio or taskset is missing.
    func makePlan() throws -> FileRunPlan {
        guard let fioPath = fio ?? findExecutable("fio"), isExecutable(fioPath) else {
            throw RunOptionsError(
                "fio not found (file-run installs nothing: apt-get install fio, scripts/bench.sh, or pass --fio PATH)"
            )
        }
        guard let taskset = findExecutable("taskset", fallbacks: ["/usr/bin/taskset"]) else {
            throw RunOptionsError("taskset not found (apt-get install util-linux)")
        }
        let peer = nioBin + "/nio-file-read"
        return FileRunPlan(
            path: path,
            size: sizeInBytes ?? 1 << 30,
            seconds: seconds,
            cpu: cpu,
            fio: fioPath,
            selfExecutable: selfExecutablePath(),
            nioPeer: isExecutable(peer) ? peer : nil,
            taskset: taskset,
            cases: try caseList,
            readers: FileReader.allCases
        )
    }

    func run() async throws {
        let plan: FileRunPlan
        do { plan = try makePlan() } catch {
            note("uring-bench file-run: \(error)")
            throw ExitCode.failure
        }
        if plan.nioPeer == nil {
            note("skipping nio: no \(nioBin)/nio-file-read (swift build -c release --package-path Benchmarks)")
        }
        defer { if removeFile { try? FileManager.default.removeItem(atPath: plan.path) } }
        let started = Date()
        do {
            try FileLayout.prepare(plan.path, size: plan.size, progress: note)
        } catch {
            note("uring-bench file-run: \(error)")
            throw ExitCode.failure
        }
        let records = try await measure(plan)
        print(FileRunSummary.table(records, cases: plan.cases, readers: plan.readers))
        if let json {
            // Every process of the suite ran on the one CPU.
            var conditions = await RunConditions.current(pinning: CPUPinning(tasksetPath: nil), date: started)
            (conditions.serverCPUs, conditions.loadCPUs) = (String(plan.cpu), String(plan.cpu))
            let results = FileRunSummary.results(records, cases: plan.cases, conditions: conditions)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(results).write(to: URL(fileURLWithPath: json))
            note("wrote \(records.count) runs to \(json)")
        }
        let failed = records.filter { $0.figures == nil }
        if !failed.isEmpty {
            for record in failed {
                note(
                    "  [\(record.repetition)] \(record.fileCase.rawValue) \(record.reader.rawValue): \(record.failure ?? "")"
                )
            }
            throw ExitCode.failure
        }
    }

    /// Every case, every reader that runs it, `repetitions` times, interleaved so that drift
    /// on a shared machine spreads over all readers.
    private func measure(_ plan: FileRunPlan) async throws -> [FileRunRecord] {
        var records: [FileRunRecord] = []
        for repetition in 1...repetitions {
            for fileCase in plan.cases {
                if !fileCase.isDirect { try FileLayout.warm(plan.path) }
                for reader in plan.readers where reader.runs(fileCase) {
                    guard let command = plan.command(reader, fileCase) else { continue }
                    var record = FileRunRecord(reader: reader, fileCase: fileCase, repetition: repetition)
                    do {
                        let output = try FileLayout.runToEnd(command, timeout: Double(plan.seconds) + 60)
                        let isFio = reader == .fioIoUring || reader == .fioPsync
                        record.figures = try isFio ? FileRunParsing.fio(output) : FileRunParsing.fileReadLine(output)
                    } catch {
                        record.failure = "\(error)"
                    }
                    let shown = record.figures.map { String(format: "%.0f IOPS", $0.iops) } ?? "failed"
                    note("[\(repetition)/\(repetitions)] \(fileCase.rawValue) \(reader.rawValue): \(shown)")
                    records.append(record)
                }
            }
        }
        return records
    }
}
