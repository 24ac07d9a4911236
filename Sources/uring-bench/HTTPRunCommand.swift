import ArgumentParser
import AsyncUring
import Foundation

/// `uring-bench http-run`: measures HTTP servers with wrk under the same loads, server on
/// CPU 0 and wrk (one thread) on CPU 1, and prints a table of medians with ratios to nginx.
struct HTTPRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http-run",
        abstract: "Measure HTTP servers with wrk under the same loads; print a table of medians.",
        discussion: """
            Servers: async-uring (uring-bench http-server), hummingbird-uring and hummingbird-nio \
            (from --nio-bin; skipped when missing), nginx (one worker, configured by the runner). \
            Shapes: \(HTTPShape.allCases.map { "\($0.rawValue) (\($0.summary))" }.joined(separator: ", ")). \
            A run with a non-2xx/3xx response or a socket error counts as failed; the exit status \
            is non-zero when a run of async-uring or hummingbird-uring failed (a peer's failed runs \
            are its result, reported and drawn as failures). Installs nothing: scripts/bench-http.sh installs wrk and nginx and builds.
            """
    )

    @Option(help: "Comma-separated servers to measure, in order.")
    var servers = HTTPServerKind.allCases.map(\.rawValue).joined(separator: ",")

    @Option(help: "Comma-separated load shapes.")
    var shapes = HTTPShape.allCases.map(\.rawValue).joined(separator: ",")

    @Option(help: "Times each server runs each shape.")
    var repetitions = 3

    @Option(help: "Whole seconds measured per run.")
    var duration = 5

    @Option(help: "Whole seconds of warm-up load per run, whose figures are dropped (0: none).")
    var warmup = 1

    @Option(help: "The request path.")
    var path = "/plaintext"

    @Option(help: "Where the Benchmarks package's release binaries are (the Hummingbird servers).")
    var nioBin = "Benchmarks/.build/release"

    @Option(help: "The wrk executable (default: wrk on PATH).")
    var wrk: String?

    @Option(help: "The nginx executable (default: nginx on PATH, else /usr/sbin/nginx).")
    var nginx: String?

    @Option(help: "Write every run's raw figures to this file, as JSON.")
    var json: String?

    @Option(help: "Write a self-contained HTML report here, and its results as JSON beside it (FILE.json).")
    var report: String?

    func validate() throws {
        _ = try HTTPServerKind.parseList(servers)
        _ = try HTTPShape.parseList(shapes)
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1, not \(repetitions)") }
        guard duration >= 1 else { throw ValidationError("--duration must be at least 1 second, not \(duration)") }
        guard warmup >= 0 else { throw ValidationError("--warmup must not be negative, not \(warmup)") }
        guard path.hasPrefix("/"), !path.contains(where: { $0.isWhitespace }) else {
            throw ValidationError("--path must start with / and hold no spaces, not '\(path)'")
        }
    }

    func run() async throws {
        let signals = await TerminationSignals()
        let workDirectory: String
        do { workDirectory = try makeWorkDirectory() } catch {
            note("uring-bench http-run: \(error)")
            throw ExitCode.failure
        }
        let stopper = Task {
            guard let number = await signals.wait() else { return }
            FileHandle.standardError.write(Data("uring-bench: signal \(number), stopping servers\n".utf8))
            ChildRegistry.shared.terminateAll(timeout: .seconds(3))
            try? FileManager.default.removeItem(atPath: workDirectory)
            Foundation.exit(128 + number)
        }
        defer { stopper.cancel() }
        defer { try? FileManager.default.removeItem(atPath: workDirectory) }
        defer { ChildRegistry.shared.terminateAll(timeout: .seconds(3)) }
        do {
            try await measureAndReport(workDirectory: workDirectory)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            note("uring-bench http-run: \(error)")
            throw ExitCode.failure
        }
    }

    /// Runs the plan with its files in `workDirectory`; prints the table.
    private func measureAndReport(workDirectory: String) async throws {
        let plan = try makePlan(workDirectory: workDirectory)
        guard !plan.servers.isEmpty else { throw RunOptionsError("no server to measure") }
        let conditions = report == nil ? nil : await RunConditions.current(pinning: plan.pinning)
        let records = try await HTTPBenchRunner(plan: plan, progress: { note($0) }).run()
        if let json {
            try HTTPBenchRunner.writeJSON(records, to: json)
            note("wrote \(records.count) runs to \(json)")
        }
        if let report, let conditions {
            let resultsPath = try ReportFiles.writeRun(
                [SuiteResults.httpSuite(from: records)],
                conditions: conditions,
                htmlPath: report
            )
            note("wrote the report to \(report) and its results to \(resultsPath)")
        }
        print(HTTPSummary.table(HTTPSummary.rows(records, servers: plan.servers.map(\.name), shapes: plan.shapes)))
        let failed = records.filter { !$0.isSuccess }
        if !failed.isEmpty {
            note("\(failed.count) of \(records.count) runs failed:")
            for record in failed {
                note(
                    "  [\(record.repetition)] \(record.shape.rawValue) \(record.server): \(record.problems.joined(separator: "; "))"
                )
            }
            if HTTPRunRecord.failsTheCommand(failed) { throw ExitCode.failure }
            note("only peers' runs failed: their result, not this package's; the exit status stays 0")
        }
    }

    /// Finds wrk, nginx and the servers; a server whose program is missing is skipped with a note.
    func makePlan(workDirectory: String) throws -> HTTPRunPlan {
        guard let wrkPath = wrk ?? findExecutable("wrk"), isExecutable(wrkPath) else {
            throw RunOptionsError("wrk not found (apt-get install wrk, or pass --wrk PATH)")
        }
        let (servers, notes) = HTTPBenchServer.locate(
            try HTTPServerKind.parseList(servers),
            selfExecutable: selfExecutablePath(),
            benchmarksDirectory: nioBin,
            nginx: nginx ?? findExecutable("nginx", fallbacks: ["/usr/sbin/nginx"])
        )
        notes.forEach(note)
        let pinning = CPUPinning.detect(availableCPUs: RingGroup.availableCPUCount)
        if pinning.tasksetPath == nil { note("not pinning: fewer than 2 CPUs or no taskset") }
        return HTTPRunPlan(
            servers: servers,
            shapes: try HTTPShape.parseList(shapes),
            repetitions: repetitions,
            durationSeconds: duration,
            warmupSeconds: warmup,
            path: path,
            wrkExecutable: wrkPath,
            workDirectory: workDirectory,
            pinning: pinning
        )
    }

    /// A new private directory under the system's temporary directory.
    private func makeWorkDirectory() throws -> String {
        let base = FileManager.default.temporaryDirectory.path
        var template = Array("\(base)/uring-bench-http-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.flatMap(mkdtemp).map { String(cString: $0) }
        }
        guard let made else {
            throw RunOptionsError("cannot make a temporary directory: \(String(cString: strerror(errno)))")
        }
        return made
    }
}
