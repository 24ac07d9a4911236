import AsyncUring
import Foundation
import Testing

@testable import uring_bench

/// `uring-bench doctor`: its checks on this machine, its advice, and the real command as a
/// child process, also with io_uring blocked by a seccomp filter.
@Suite(.serialized) struct DoctorTests {
    @Test(.timeLimit(.minutes(1))) func reportOnThisMachineIsUsable() async throws {
        let report = await DoctorCommand.makeReport()
        guard case .ready(let flags, _) = report.ringSetup else {
            Issue.record("no ring: \(report.lines.joined(separator: "\n"))")
            return
        }
        #expect(!flags.isEmpty)
        #expect(report.checks.count == 8)
        for check in report.checks { #expect(check.isSuccess, "\(check)") }
        #expect(report.isUsable)
        #expect(report.advice.isEmpty)
        // The driver a ring group would run on: io_uring here, unless the environment forces one.
        let forced = getenv(RingDriver.environmentVariable).flatMap { RingDriver(rawValue: String(cString: $0)) }
        let expected = forced ?? .ioUring
        #expect(report.driver == .running(expected, fallbackReason: nil))
        let text = report.lines.joined(separator: "\n")
        for prefix in [
            "kernel: Linux ", "io_uring_disabled: ", "seccomp: ", "RLIMIT_MEMLOCK: ", "ring set-up: ok",
            "driver: \(expected)",
        ] {
            #expect(text.contains(prefix), "missing '\(prefix)' in\n\(text)")
        }
        #expect(report.lines.last?.hasPrefix("verdict: io_uring is usable") == true)
        #expect(report.lines.contains("  the runtime's operations: all supported"))
    }

    struct AdviceCase: Sendable, CustomTestStringConvertible {
        var name: String
        var facts: SystemFacts
        var setup: DoctorReport.RingSetup
        var expected: String?
        var testDescription: String { name }
    }

    static let healthy = SystemFacts(
        kernel: "Linux 6.18.0 #1 x86_64",
        kernelVersion: (6, 18),
        ioUringDisabled: 0,
        ioUringGroup: -1,
        seccompMode: 0,
        memlockSoft: 8 << 20,
        memlockHard: 8 << 20,
        isRoot: false
    )
    static let refused = DoctorReport.RingSetup.failed(
        operation: "io_uring_queue_init_params",
        errno: 1,
        description: "Operation not permitted"
    )

    static let adviceCases: [AdviceCase] = {
        var disabled = healthy
        disabled.ioUringDisabled = 2
        var groupOnly = healthy
        groupOnly.ioUringDisabled = 1
        groupOnly.ioUringGroup = 1234
        var filtered = healthy
        filtered.seccompMode = 2
        var old = healthy
        old.kernelVersion = (5, 15)
        let ready = DoctorReport.RingSetup.ready(flags: "SINGLE_ISSUER", hasRegisteredRingFD: true)
        return [
            AdviceCase(name: "healthy", facts: healthy, setup: ready, expected: nil),
            AdviceCase(
                name: "sysctl 2",
                facts: disabled,
                setup: refused,
                expected: "sysctl -w kernel.io_uring_disabled=0"
            ),
            AdviceCase(name: "sysctl 1", facts: groupOnly, setup: refused, expected: "members of group 1234"),
            AdviceCase(name: "seccomp", facts: filtered, setup: refused, expected: "seccomp filter is active"),
            AdviceCase(
                name: "memlock",
                facts: healthy,
                setup: .failed(operation: "io_uring_queue_init_params", errno: 12, description: "ENOMEM"),
                expected: "raise RLIMIT_MEMLOCK"
            ),
            AdviceCase(
                name: "no io_uring",
                facts: healthy,
                setup: .failed(operation: "io_uring_queue_init_params", errno: 38, description: "ENOSYS"),
                expected: "CONFIG_IO_URING"
            ),
            AdviceCase(name: "EPERM, no cause", facts: healthy, setup: refused, expected: "SELinux, AppArmor"),
            AdviceCase(
                name: "io_uring short of the runtime's needs",
                facts: healthy,
                setup: .failed(operation: "io_uring", errno: 95, description: "the kernel's io_uring answers no probe"),
                expected: "lacks what the runtime needs"
            ),
            AdviceCase(name: "old kernel", facts: old, setup: ready, expected: "older than 6.1"),
        ]
    }()

    @Test(arguments: adviceCases) func advice(_ example: AdviceCase) {
        let report = DoctorReport(facts: example.facts, ringSetup: example.setup, checks: [])
        if let expected = example.expected {
            #expect(report.advice.contains { $0.contains(expected) }, "\(report.advice)")
            #expect(report.lines.contains("advice:"))
        } else {
            #expect(report.advice.isEmpty)
        }
        if case .failed = example.setup {
            #expect(!report.isUsable)
            #expect(report.lines.last == "verdict: io_uring is NOT usable here; RingGroup() throws RingError")
        }
    }

    static let driverCases: [(DoctorReport.Driver, line: String, verdict: String)] = [
        (
            .running(.epoll, fallbackReason: "io_uring_queue_init_params failed: Operation not permitted"),
            "driver: epoll (io_uring refused: io_uring_queue_init_params failed: Operation not permitted)",
            "verdict: io_uring is NOT usable here; programs still run, on the epoll fallback"
        ),
        (
            .failed(description: "io_uring_queue_init_params failed: Operation not permitted"),
            "driver: none, RingGroup() throws: io_uring_queue_init_params failed: Operation not permitted",
            "verdict: io_uring is NOT usable here; RingGroup() throws RingError"
        ),
    ]

    @Test(arguments: driverCases)
    func refusedIoUringSaysWhetherProgramsRunOnTheFallback(driver: DoctorReport.Driver, line: String, verdict: String) {
        let report = DoctorReport(facts: Self.healthy, ringSetup: Self.refused, checks: [], driver: driver)
        #expect(!report.isUsable)
        #expect(report.lines.contains(line), "\(report.lines)")
        #expect(report.lines.last == verdict)
    }

    @Test func aForcedDriverIsShownBesideUsableIoUring() {
        let ready = DoctorReport.RingSetup.ready(flags: "COOP_TASKRUN", hasRegisteredRingFD: false)
        let report = DoctorReport(
            facts: Self.healthy,
            ringSetup: ready,
            checks: [],
            driver: .running(.epoll, fallbackReason: nil)
        )
        #expect(report.lines.contains("driver: epoll"))
        #expect(report.lines.last == "verdict: io_uring is usable; the runtime sets rings up with COOP_TASKRUN")
    }

    /// Linux 5.15: every operation, none of 6.0's multishot receives.
    @Test func aKernelBeforeLinux6IsNotUsable() {
        let ready = DoctorReport.RingSetup.ready(flags: "COOP_TASKRUN", hasRegisteredRingFD: false)
        let probe = RingProbe(lastOpcode: 39, supportedOpcodes: Set(0...39))
        let report = DoctorReport(facts: Self.healthy, ringSetup: ready, checks: [], probe: .success(probe))
        #expect(report.missingOperations.isEmpty)
        #expect(!report.isUsable)
        #expect(
            report.lines.contains {
                $0.hasPrefix("  the runtime's features: missing (") && $0.contains("IORING_OP_LINKAT")
            }
        )
        #expect(report.advice.contains { $0.contains("predates Linux 6.0") })
    }

    @Test func aKernelLackingTheRuntimesOperationsIsNotUsable() {
        let ready = DoctorReport.RingSetup.ready(flags: "COOP_TASKRUN", hasRegisteredRingFD: false)
        let probe = RingProbe(lastOpcode: 40, supportedOpcodes: Set(0...33))
        let report = DoctorReport(facts: Self.healthy, ringSetup: ready, checks: [], probe: .success(probe))
        #expect(report.missingOperations == [34])
        #expect(!report.isUsable)
        #expect(report.lines.contains("  the runtime's operations: missing IORING_OP_SHUTDOWN"))
        #expect(report.advice.contains { $0.contains("lacks io_uring operations the runtime uses") })
    }

    @Test func parsesProcAndUnameText() {
        #expect(SystemFacts.parseSeccomp("Name:\tx\nSeccomp:\t2\nSeccomp_filters:\t1\n") == 2)
        #expect(SystemFacts.parseSeccomp("Name:\tx\n") == nil)
        #expect(SystemFacts.parseKernelVersion("6.18.44-fc-v782").map { [$0.major, $0.minor] } == [6, 18])
        #expect(SystemFacts.parseKernelVersion("5.4.0-150-generic").map { [$0.major, $0.minor] } == [5, 4])
        #expect(SystemFacts.parseKernelVersion("weird") == nil)
        #expect(DoctorReport.describeMemlock(soft: 64 << 10, hard: nil).hasPrefix("soft 64 KiB, hard unlimited"))
    }

    @Test(.timeLimit(.minutes(1))) func doctorProcessExitsZeroHere() async throws {
        let child = try RefusedIoUringTests.launch(["doctor"], driverVariable: nil, refusingIoUring: false)
        let status = await child.waitForExit(timeout: .seconds(30))
        await child.terminate(timeout: .seconds(1))
        #expect(status == 0, "\(child.output.tail(20))\n\(child.errorOutput?.tail(20) ?? "")")
        #expect(child.output.lines.first?.hasPrefix("kernel: ") == true)
        #expect(child.output.lines.contains("driver: io_uring"))
        #expect(child.output.lines.last?.hasPrefix("verdict: io_uring is usable") == true)
    }

    /// With io_uring_setup refused by a seccomp filter, the doctor must explain, not crash,
    /// and say that programs fall back to epoll.
    @Test(.timeLimit(.minutes(1)), .enabled(if: SeccompLauncher.isAvailable))
    func doctorExplainsIoUringBlockedBySeccomp() async throws {
        let child = try RefusedIoUringTests.launch(["doctor"], driverVariable: nil, refusingIoUring: true)
        let status = await child.waitForExit(timeout: .seconds(30))
        await child.terminate(timeout: .seconds(1))
        let text = child.output.lines.joined(separator: "\n")
        #expect(status == 1, "\(text)\n\(child.errorOutput?.tail(20) ?? "")")
        #expect(text.contains("seccomp: 2 (filter"))
        #expect(text.contains("ring set-up: failed: io_uring_queue_init_params failed: Operation not permitted"))
        #expect(text.contains("seccomp filter is active"))
        #expect(text.contains("kernel operations: no probe: io_uring_queue_init failed: Operation not permitted"))
        #expect(text.contains("driver: epoll (io_uring refused: "), "\(text)")
        #expect(
            child.output.lines.last
                == "verdict: io_uring is NOT usable here; programs still run, on the epoll fallback"
        )
    }
}
