import CLiburing
import Testing

@testable import AsyncUring

/// What the runtime asks of a kernel's io_uring before it runs on it: a kernel that sets
/// io_uring up but lacks its operations counts as refusing io_uring (the automatic choice
/// falls back to epoll), instead of failing at the first accept or receive.
struct RingProbeTests {
    static func opcode(_ op: io_uring_op) -> UInt8 { UInt8(op.rawValue) }

    @Test func thisKernelRunsTheRuntime() throws {
        let probe = try RingProbe.current()
        #expect(probe.missingRuntimeOperations.isEmpty)
        #expect(!probe.predatesRuntimeFeatures)
        #expect(probe.runtimeShortfall == nil)
    }

    /// Linux 5.15 knows every operation the runtime submits, but none of 6.0's multishot
    /// receives or sends with an address: its io_uring ends at IORING_OP_LINKAT.
    @Test func aKernelBeforeLinux6IsShortOfTheRuntimesFeatures() {
        let linkat = Self.opcode(IORING_OP_LINKAT)
        let probe = RingProbe(lastOpcode: linkat, supportedOpcodes: Set(0...linkat))
        #expect(probe.missingRuntimeOperations.isEmpty)
        #expect(probe.predatesRuntimeFeatures)
        #expect(probe.runtimeShortfall?.contains("ends at IORING_OP_LINKAT, before Linux 6.0") == true)
        let error = #expect(throws: RingError.self) { try probe.requireRuntimeSupport() }
        #expect(error?.errno == .notSupported)
        #expect(error.map(RingDriver.isRefusal) == true)
    }

    @Test func missingOperationsAreNamed() {
        let sendZC = Self.opcode(IORING_OP_SEND_ZC)
        let accept = Self.opcode(IORING_OP_ACCEPT)
        let shutdown = Self.opcode(IORING_OP_SHUTDOWN)
        let probe = RingProbe(lastOpcode: sendZC, supportedOpcodes: Set(0...sendZC).subtracting([accept, shutdown]))
        #expect(probe.missingRuntimeOperations == [accept, shutdown])
        #expect(
            probe.runtimeShortfall
                == "the kernel's io_uring lacks operations the runtime uses: IORING_OP_ACCEPT, IORING_OP_SHUTDOWN"
        )
        #expect(RingProbe.name(ofOpcode: 200) == "IORING_OP_<200>")
    }

    /// Shortages are not refusals: they throw rather than fall back.
    @Test func shortagesAreNotRefusals() {
        #expect(!RingDriver.isRefusal(RingError(operation: "io_uring_queue_init_params", errno: .noMemory)))
        #expect(!RingDriver.isRefusal(RingError(operation: "io_uring_queue_init_params", errno: .tooManyOpenFiles)))
        #expect(RingDriver.isRefusal(RingError(operation: "io_uring_queue_init_params", errno: .notPermitted)))
    }
}
