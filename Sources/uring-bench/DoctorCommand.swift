import ArgumentParser
import AsyncUring
import Logging

/// `uring-bench doctor`: tells whether io_uring works here and what the runtime gets:
/// the kernel, the sysctl, seccomp and memlock settings that can block io_uring, the
/// ring set-up flags the kernel accepted, the operations the kernel's probe lists, and each
/// operation the runtime uses, tried on a loopback connection. Exits 1, with advice, when io_uring is not usable.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check that io_uring works here and show what the runtime gets."
    )

    func run() async throws {
        let report = await Self.makeReport()
        for line in report.lines { announce(line) }
        if !report.isUsable { throw ExitCode(1) }
    }

    /// Gathers the facts, sets up one ring and tries the operations on it.
    static func makeReport(facts: SystemFacts = .current()) async -> DoctorReport {
        var logger = Logger(label: "uring-bench.doctor")
        logger.logLevel = .error
        let probe = Result { () throws(RingError) in try RingProbe.current() }
        let group: RingGroup
        do {
            group = try RingGroup(numberOfRings: 1, logger: logger)
        } catch {
            return DoctorReport(
                facts: facts,
                ringSetup: .failed(operation: error.operation, errno: error.errno.rawValue, description: "\(error)"),
                checks: [],
                probe: probe
            )
        }
        let ring = group.rings[0]
        let setup = DoctorReport.RingSetup.ready(
            flags: "\(ring.setupFlags)",
            hasRegisteredRingFD: ring.hasRegisteredRingFD
        )
        let checks = await OperationCheck.runAll(on: group)
        await group.shutdown()
        return DoctorReport(facts: facts, ringSetup: setup, checks: checks, probe: probe)
    }
}
