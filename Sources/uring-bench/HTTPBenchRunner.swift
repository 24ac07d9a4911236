import Foundation

/// What `uring-bench http-run` measures, validated and located.
struct HTTPRunPlan: Sendable {
    var servers: [HTTPBenchServer]
    var shapes: [HTTPShape]
    var repetitions: Int
    var durationSeconds: Int
    var warmupSeconds: Int
    var path: String
    var wrkExecutable: String
    /// Where the runner writes its files: the pipelining script, nginx's configuration.
    var workDirectory: String
    var pinning: CPUPinning

    /// The pipelining script's path, written by ``HTTPBenchRunner/prepare()``.
    var pipelineScriptPath: String { "\(workDirectory)/pipeline.lua" }
}

/// Runs the HTTP matrix: for each repetition, each shape, each server in turn (interleaved,
/// so the machine's drift hits every server alike): start the server pinned to CPU 0, warm
/// it up with a wrk run whose figures are dropped, measure a second wrk run from CPU 1 with
/// the server's CPU time sampled just before and after it, stop the server.
struct HTTPBenchRunner: Sendable {
    let plan: HTTPRunPlan
    /// Where progress lines go.
    let progress: @Sendable (String) -> Void

    /// Writes the pipelining script when a shape needs it.
    func prepare() throws {
        if let depth = plan.shapes.map(\.pipelineDepth).max(), depth > 1 {
            try WrkLoad.pipelineScript(depth: depth).write(
                toFile: plan.pipelineScriptPath,
                atomically: true,
                encoding: .utf8
            )
        }
    }

    /// - Returns: every run, in the order run.
    /// - Throws: ``RunnerError`` when a server fails to start or dies during a run.
    func run() async throws -> [HTTPRunRecord] {
        try prepare()
        var records: [HTTPRunRecord] = []
        var tracker = RunProgress(
            suite: "http",
            totalRuns: plan.repetitions * plan.shapes.count * plan.servers.count,
            warmupSeconds: Double(plan.warmupSeconds),
            durationSeconds: Double(plan.durationSeconds)
        )
        let start = MonotonicClock.now()
        for repetition in 1...plan.repetitions {
            for shape in plan.shapes {
                for server in plan.servers {
                    try Task.checkCancellation()
                    progress(
                        tracker.line(
                            server: server.name,
                            caseName: shape.rawValue,
                            repetition: repetition,
                            of: plan.repetitions,
                            elapsedSeconds: Double(MonotonicClock.now() - start) / 1e9
                        )
                    )
                    let record = try await measure(server, shape: shape, repetition: repetition)
                    tracker.runFinished()
                    progress(progressLine(record))
                    records.append(record)
                }
            }
        }
        return records
    }

    /// wrk for `shape`, running `seconds`.
    func load(_ shape: HTTPShape, seconds: Int) -> WrkLoad {
        WrkLoad(
            executable: plan.wrkExecutable,
            shape: shape,
            seconds: seconds,
            path: plan.path,
            scriptPath: shape.pipelineDepth > 1 ? plan.pipelineScriptPath : nil
        )
    }

    /// One run: a fresh server process, warm-up, measured load.
    func measure(_ server: HTTPBenchServer, shape: HTTPShape, repetition: Int) async throws -> HTTPRunRecord {
        let running = try await HTTPRunningServer.start(
            server,
            pinning: plan.pinning,
            workDirectory: plan.workDirectory
        )
        do {
            if plan.warmupSeconds > 0 {
                let warmup = try await load(shape, seconds: plan.warmupSeconds).run(
                    port: running.port,
                    pinning: plan.pinning
                )
                if warmup.exitStatus != 0 {
                    progress("  warm-up wrk exit status \(warmup.exitStatus.map(String.init) ?? "none")")
                }
            }
            let cpus = RunConditions.measuredCPUs(plan.pinning)
            let machineBefore = InterferenceSample.take(cpus: cpus)
            let cpuBefore = running.cpuMicroseconds
            let outcome = try await load(shape, seconds: plan.durationSeconds).run(
                port: running.port,
                pinning: plan.pinning
            )
            let cpuAfter = running.cpuMicroseconds
            let interference = machineBefore.flatMap { before in InterferenceSample.take(cpus: cpus)?.since(before) }
            try running.checkAlive()
            await running.stop()
            let record = HTTPRunRecord(
                server: server.name,
                shape: shape,
                repetition: repetition,
                path: plan.path,
                durationSeconds: plan.durationSeconds,
                warmupSeconds: plan.warmupSeconds,
                wrkExitStatus: outcome.exitStatus,
                wrk: outcome.report,
                serverCPUMicroseconds: cpuBefore.flatMap { before in cpuAfter.map { $0 - before } },
                interference: interference?.interference,
                steal: interference?.steal
            )
            if !record.isSuccess { progress("  wrk said:\n\(outcome.output)") }
            return record
        } catch {
            await running.stop()
            throw error
        }
    }

    private func progressLine(_ record: HTTPRunRecord) -> String {
        func format(_ value: Double?, _ decimals: Int) -> String {
            value.map { ResultLine.format($0, decimals: decimals) } ?? "-"
        }
        return "[\(record.repetition)/\(plan.repetitions)] \(record.shape.rawValue) \(record.server): "
            + "\(format(record.requestsPerSecond, 0)) rps, p50 \(format(record.p50Microseconds, 0)) us, "
            + "p99 \(format(record.p99Microseconds, 0)) us, server \(format(record.serverMicrosecondsPerRequest, 2)) us/req"
            + (record.isSuccess ? "" : " (FAILED: \(record.problems.joined(separator: "; ")))")
    }

    /// Writes every run as a JSON array.
    static func writeJSON(_ records: [HTTPRunRecord], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(records).write(to: URL(fileURLWithPath: path))
    }
}
