import ArgumentParser
import AsyncUring
import Logging

/// `uring-bench doctor`: tells whether io_uring works here and what the runtime gets:
/// the kernel, the sysctl, seccomp and memlock settings that can block io_uring, the
/// ring set-up flags the kernel accepted, the driver rings run on, the operations the
/// kernel's probe lists, and each operation the runtime uses, tried on a loopback connection.
/// Exits 1, with advice, when io_uring is not usable (programs may still run on the epoll
/// fallback then; the report says whether they do).
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
        let driver = await automaticDriver(logger: logger)
        let group: RingGroup
        do {
            // io_uring itself, whatever the automatic choice or ASYNC_URING_DRIVER would pick.
            group = try RingGroup(numberOfRings: 1, configuration: RingConfiguration(driver: .ioUring), logger: logger)
        } catch {
            return DoctorReport(
                facts: facts,
                ringSetup: .failed(operation: error.operation, errno: error.errno.rawValue, description: "\(error)"),
                checks: [],
                probe: probe,
                driver: driver
            )
        }
        let ring = group.rings[0]
        let setup = DoctorReport.RingSetup.ready(
            flags: "\(ring.setupFlags)",
            hasRegisteredRingFD: ring.hasRegisteredRingFD
        )
        let checks = await OperationCheck.runAll(on: group)
        await group.shutdown()
        return DoctorReport(facts: facts, ringSetup: setup, checks: checks, probe: probe, driver: driver)
    }

    /// The driver `RingGroup()` runs on here: the automatic choice, made by starting a ring.
    static func automaticDriver(logger: Logger) async -> DoctorReport.Driver {
        do {
            let group = try RingGroup(numberOfRings: 1, logger: logger)
            let driver = group.rings[0].driver
            await group.shutdown()
            return .running(driver, fallbackReason: driver.fallbackReasonDescription)
        } catch {
            return .failed(description: "\(error)")
        }
    }
}
