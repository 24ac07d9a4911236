import Foundation

/// What `uring-bench run` measures, validated.
struct RunPlan: Sendable {
    var servers: [BenchServer]
    var cases: [BenchCase]
    var repetitions: Int
    var durationSeconds: Double
    var warmupSeconds: Double
    var loadGenerator: LoadGenerator
    var pinning: CPUPinning
}

/// Runs the matrix: for each repetition, each case, each server in turn (interleaved, so
/// the machine's drift hits every server alike): start the server pinned, load it from the
/// other CPU, record, stop it.
struct BenchRunner: Sendable {
    let plan: RunPlan
    /// Where progress lines go.
    let progress: @Sendable (String) -> Void

    /// - Returns: every run, in the order run.
    /// - Throws: ``RunnerError`` when a server fails to start or dies during a run.
    func run() async throws -> [RunRecord] {
        var records: [RunRecord] = []
        var tracker = RunProgress(
            suite: plan.loadGenerator.kind == .udp ? "udp" : "echo",
            totalRuns: plan.repetitions * plan.cases.count * plan.servers.count,
            warmupSeconds: plan.warmupSeconds,
            durationSeconds: plan.durationSeconds
        )
        let start = MonotonicClock.now()
        for repetition in 1...plan.repetitions {
            for benchCase in plan.cases {
                for server in plan.servers {
                    try Task.checkCancellation()
                    progress(
                        tracker.line(
                            server: server.name,
                            caseName: benchCase.description,
                            repetition: repetition,
                            of: plan.repetitions,
                            elapsedSeconds: Double(MonotonicClock.now() - start) / 1e9
                        )
                    )
                    let record = try await measure(server, benchCase: benchCase, repetition: repetition)
                    tracker.runFinished()
                    progress(progressLine(record))
                    records.append(record)
                }
            }
        }
        return records
    }

    /// One run: a fresh server process under one load.
    func measure(_ server: BenchServer, benchCase: BenchCase, repetition: Int) async throws -> RunRecord {
        let running = try await RunningServer.start(server, pinning: plan.pinning)
        do {
            let cpus = RunConditions.measuredCPUs(plan.pinning)
            let machineBefore = InterferenceSample.take(cpus: cpus)
            let cpuBefore = running.cpuMicroseconds
            let outcome = try await plan.loadGenerator.run(
                against: running,
                benchCase: benchCase,
                durationSeconds: plan.durationSeconds,
                warmupSeconds: plan.warmupSeconds,
                pinning: plan.pinning
            )
            let cpuAfter = running.cpuMicroseconds
            let interference = machineBefore.flatMap { before in InterferenceSample.take(cpus: cpus)?.since(before) }
            try running.checkAlive()
            await running.stop()
            if outcome.fields == nil || outcome.exitStatus != 0 {
                progress(
                    "  load generator exit status \(outcome.exitStatus.map(String.init) ?? "none"):\n\(outcome.log)"
                )
            }
            let serverCPU = cpuBefore.flatMap { before in cpuAfter.map { $0 - before } }
            var record = RunRecord(
                server: server.name,
                benchCase: benchCase,
                repetition: repetition,
                loadgen: plan.loadGenerator.kind,
                outcome: outcome,
                runnerServerCPU: serverCPU,
                warmupSeconds: plan.warmupSeconds,
                durationSeconds: plan.durationSeconds
            )
            record.interference = interference?.interference
            record.steal = interference?.steal
            return record
        } catch {
            await running.stop()
            throw error
        }
    }

    private func progressLine(_ record: RunRecord) -> String {
        let cpu = record.serverMicrosecondsPerRoundTrip.map { ResultLine.format($0, decimals: 2) } ?? "-"
        return "[\(record.repetition)/\(plan.repetitions)] \(record.benchCase) \(record.server): "
            + "\(ResultLine.format(record.roundTripsPerSecond, decimals: 0)) rps, "
            + "p50 \(ResultLine.format(record.p50Microseconds)) us, p99 \(ResultLine.format(record.p99Microseconds)) us, "
            + "server \(cpu) us/rt, errors \(record.errors)" + (record.lost.map { ", lost \($0)" } ?? "")
            + (record.isSuccess ? "" : " (FAILED)")
    }

    /// Writes every run as a JSON array.
    static func writeJSON(_ records: [RunRecord], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(records).write(to: URL(fileURLWithPath: path))
    }
}
