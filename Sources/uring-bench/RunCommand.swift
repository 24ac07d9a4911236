import ArgumentParser
import AsyncUring
import Foundation

/// `uring-bench run`: measures the AsyncUringSocket echo server, on io_uring and on the epoll
/// fallback, against the SwiftNIO peers and the C yardsticks under the same load, and prints
/// a table of medians. `--udp` measures the UDP echo servers instead, loaded by the C
/// `udp_loadgen`, against the C `udp_echo`.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Measure every echo server under the same load; print a table of medians."
    )

    @Flag(help: "Measure the UDP echo servers (load: udp_loadgen from --c-sources or --c-yardsticks).")
    var udp = false

    @Option(help: "Comma-separated servers to measure, in order (default: every TCP server, or every UDP one).")
    var servers: String?

    @Option(
        help: """
            Comma-separated cases, each CONNECTIONS:SIZE, or FLOWS:SIZE with --udp \
            (default: \(BenchCase.defaultList), or \(BenchCase.udpDefaultList)).
            """
    )
    var cases: String?

    @Option(help: "Times each server runs each case.")
    var repetitions = 3

    @Option(help: "Seconds measured per run.")
    var duration: Double = 3

    @Option(help: "Seconds of load before measuring, per run.")
    var warmup: Double = 1

    @Option(help: "Where the SwiftNIO peers are (swift build -c release --package-path Benchmarks).")
    var nioBin = "Benchmarks/.build/release"

    @Option(help: "Where the C yardsticks echo_uring and echo_epoll are; without it they are skipped.")
    var cYardsticks: String?

    @Option(
        help:
            "The shared/bench sources: builds missing yardsticks and loadgen into --c-yardsticks (default .build-yardsticks)."
    )
    var cSources: String?

    @Option(help: "TCP's load generator: uring (uring-bench echo-client) or c (shared/bench loadgen).")
    var loadgen = LoadgenKind.uring

    @Option(
        help:
            "The C load generator's path (with --loadgen c or --udp; default: loadgen or udp_loadgen in the yardsticks directory)."
    )
    var loadgenBin: String?

    @Option(help: "Write every run's raw figures to this file, as JSON.")
    var json: String?

    @Option(help: "Write a self-contained HTML report here, and its results as JSON beside it (FILE.json).")
    var report: String?

    /// The transport measured: TCP unless `--udp`.
    var transport: ServerKind.Transport { udp ? .udp : .tcp }

    /// `--cases`, or the transport's default matrix.
    func benchCases() throws -> [BenchCase] {
        try BenchCase.parseList(cases ?? (udp ? BenchCase.udpDefaultList : BenchCase.defaultList))
    }

    /// `--servers`, or every server of the transport.
    func serverKinds() throws -> [ServerKind] {
        guard let servers else { return ServerKind.all(transport) }
        let kinds = try ServerKind.parseList(servers)
        if let other = kinds.first(where: { $0.transport != transport }) {
            throw RunOptionsError(
                udp
                    ? "\(other.rawValue) is a TCP server; --udp measures \(ServerKind.all(.udp).map(\.rawValue).joined(separator: ","))"
                    : "\(other.rawValue) is a UDP server; measure it with --udp"
            )
        }
        return kinds
    }

    /// The load generator `run` uses: `--loadgen` for TCP, udp_loadgen for UDP.
    var loadgenKind: LoadgenKind { udp ? .udp : loadgen }

    func validate() throws {
        let benchCases = try benchCases()
        do { _ = try serverKinds() } catch { throw ValidationError("\(error)") }
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1, not \(repetitions)") }
        guard duration > 0, duration.isFinite else {
            throw ValidationError("--duration must be positive, not \(duration)")
        }
        guard warmup >= 0, warmup.isFinite else {
            throw ValidationError("--warmup must not be negative, not \(warmup)")
        }
        if loadgen == .udp, !udp { throw ValidationError("--loadgen udp goes with --udp") }
        if loadgen == .c, udp {
            // scripts/bench-echo.sh passes TCP's loadgen; it must not load the UDP servers.
            throw ValidationError("--loadgen c is TCP's; --udp loads with udp_loadgen (--loadgen-bin for its path)")
        }
        if loadgenKind != .uring, loadgenBin == nil, cSources == nil, cYardsticks == nil {
            let option = udp ? "--udp" : "--loadgen c"
            throw ValidationError("\(option) needs --loadgen-bin PATH (or --c-yardsticks/--c-sources)")
        }
        if udp { try validateForUDP(benchCases) }
    }

    /// udp_loadgen takes whole seconds and datagrams of 12 to 65000 bytes.
    private func validateForUDP(_ benchCases: [BenchCase]) throws {
        guard duration.rounded() == duration, warmup.rounded() == warmup else {
            throw ValidationError("--udp needs whole seconds for --duration and --warmup")
        }
        if let large = benchCases.first(where: { !BenchCase.udpSizes.contains($0.size) }) {
            throw ValidationError(
                "case '\(large)': --udp sizes must be in \(BenchCase.udpSizes.lowerBound)...\(BenchCase.udpSizes.upperBound)"
            )
        }
    }

    /// The yardsticks directory: as given, or `.build-yardsticks` when only sources are.
    var yardstickDirectory: String? { cYardsticks ?? (cSources == nil ? nil : ".build-yardsticks") }

    func run() async throws {
        let signals = await TerminationSignals()
        let stopper = Task {
            guard let number = await signals.wait() else { return }
            FileHandle.standardError.write(Data("uring-bench: signal \(number), stopping servers\n".utf8))
            ChildRegistry.shared.terminateAll(timeout: .seconds(3))
            Foundation.exit(128 + number)
        }
        defer { stopper.cancel() }
        defer { ChildRegistry.shared.terminateAll(timeout: .seconds(3)) }
        do {
            try await measureAndReport()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            note("uring-bench run: \(error)")
            throw ExitCode.failure
        }
    }

    private func measureAndReport() async throws {
        let plan = try await makePlan()
        guard !plan.servers.isEmpty else { throw RunOptionsError("no server to measure") }
        let conditions = report == nil ? nil : await RunConditions.current(pinning: plan.pinning)
        let runner = BenchRunner(plan: plan, progress: { note($0) })
        let records = try await runner.run()
        if let json {
            try BenchRunner.writeJSON(records, to: json)
            note("wrote \(records.count) runs to \(json)")
        }
        if let report, let conditions {
            let resultsPath = try ReportFiles.writeRun(
                SuiteResults.echoSuites(from: records),
                conditions: conditions,
                htmlPath: report
            )
            note("wrote the report to \(report) and its results to \(resultsPath)")
        }
        let rows = Summary.rows(records, servers: plan.servers.map(\.name), cases: plan.cases)
        print(Summary.table(rows))
        let failed = records.filter { !$0.isSuccess }
        if !failed.isEmpty {
            note("\(failed.count) of \(records.count) runs failed")
            if RunRecord.failsTheCommand(failed) { throw ExitCode.failure }
            note("only peers' runs failed: their result, not this package's; the exit status stays 0")
        }
    }

    /// Builds what `--c-sources` asks for, finds the servers and the load generator.
    func makePlan() async throws -> RunPlan {
        if let cSources, let yardstickDirectory {
            for line in try await YardstickBuilder.build(from: cSources, into: yardstickDirectory) { note(line) }
        }
        let selfPath = selfExecutablePath()
        let (servers, notes) = BenchServer.locate(
            try serverKinds(),
            selfExecutable: selfPath,
            nioDirectory: nioBin,
            yardstickDirectory: yardstickDirectory
        )
        notes.forEach(note)
        let pinning = CPUPinning.detect(availableCPUs: RingGroup.availableCPUCount)
        if pinning.tasksetPath == nil { note("not pinning: fewer than 2 CPUs or no taskset") }
        return RunPlan(
            servers: servers,
            cases: try benchCases(),
            repetitions: repetitions,
            durationSeconds: duration,
            warmupSeconds: warmup,
            loadGenerator: try makeLoadGenerator(self: selfPath),
            pinning: pinning
        )
    }

    private func makeLoadGenerator(self selfPath: String) throws -> LoadGenerator {
        switch loadgenKind {
        case .uring:
            return LoadGenerator(kind: .uring, executable: selfPath)
        case .c, .udp:
            let name = loadgenKind == .udp ? "udp_loadgen" : "loadgen"
            let path = loadgenBin ?? "\(yardstickDirectory ?? ".")/\(name)"
            guard isExecutable(path) else { throw RunOptionsError("the C load generator \(path) is missing") }
            return LoadGenerator(kind: loadgenKind, executable: path)
        }
    }
}

/// Writes a progress or diagnostic line to stderr.
func note(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
