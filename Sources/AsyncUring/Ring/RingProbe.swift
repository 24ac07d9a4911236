internal import CLiburing
import SystemPackage

/// The io_uring operations the running kernel supports, as `IORING_REGISTER_PROBE` reports
/// them: for diagnostics (`uring-bench doctor`) and for choosing a code path at start-up.
public struct RingProbe: Sendable, Hashable {
    /// The highest opcode the kernel knows (`io_uring_probe.last_op`).
    public let lastOpcode: UInt8
    /// The opcodes the kernel supports (`IO_URING_OP_SUPPORTED`).
    public let supportedOpcodes: Set<UInt8>

    public init(lastOpcode: UInt8, supportedOpcodes: Set<UInt8>) {
        self.lastOpcode = lastOpcode
        self.supportedOpcodes = supportedOpcodes
    }

    /// Probes the kernel with a small temporary ring, set up and torn down on the calling
    /// thread (no `SINGLE_ISSUER`, so any thread may do it).
    ///
    /// - Throws: ``RingError`` when no ring can be set up (io_uring disabled, blocked by
    ///   seccomp) or the kernel refuses the probe.
    public static func current() throws(RingError) -> RingProbe {
        // SAFETY: `struct io_uring` lives in allocated memory for the ring's whole life
        // (it must not move), freed after io_uring_queue_exit.
        let ring = UnsafeMutablePointer<io_uring>.allocate(capacity: 1)
        ring.initialize(to: io_uring())
        defer { ring.deallocate() }
        let ret = io_uring_queue_init(2, ring, 0)
        guard ret == 0 else { throw RingError(operation: "io_uring_queue_init", errno: Errno(rawValue: -ret)) }
        defer { io_uring_queue_exit(ring) }
        // liburing allocates the probe for 256 operations; NULL when IORING_REGISTER_PROBE
        // fails (kernels before 5.6).
        guard let probe = io_uring_get_probe_ring(ring) else {
            throw RingError(operation: "io_uring_register(IORING_REGISTER_PROBE)", errno: .invalidArgument)
        }
        defer { io_uring_free_probe(probe) }
        let lastOpcode = probe.pointee.last_op
        var supported = Set<UInt8>()
        for opcode in 0...Int32(lastOpcode) where io_uring_opcode_supported(probe, opcode) != 0 {
            supported.insert(UInt8(opcode))
        }
        return RingProbe(lastOpcode: lastOpcode, supportedOpcodes: supported)
    }

    /// Whether the kernel supports `opcode` (an `IORING_OP_*` value).
    public func supports(opcode: UInt8) -> Bool {
        supportedOpcodes.contains(opcode)
    }
}
