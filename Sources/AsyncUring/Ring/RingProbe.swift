internal import CLiburing
import SystemPackage

/// The io_uring operations the running kernel supports, as `IORING_REGISTER_PROBE` reports
/// them: for diagnostics (`uring-bench doctor`) and for choosing the driver at start-up (a
/// kernel whose io_uring lacks what the runtime needs counts as refusing io_uring).
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
        return try RingProbe(probing: ring)
    }

    /// Probes the kernel through `ring`.
    /// - Throws: ``RingError`` when the kernel refuses the probe (kernels before 5.6).
    init(probing ring: UnsafeMutablePointer<io_uring>) throws(RingError) {
        // liburing allocates the probe for 256 operations; NULL when IORING_REGISTER_PROBE
        // fails.
        guard let probe = io_uring_get_probe_ring(ring) else {
            throw RingError(operation: "io_uring_register(IORING_REGISTER_PROBE)", errno: .invalidArgument)
        }
        defer { io_uring_free_probe(probe) }
        let lastOpcode = probe.pointee.last_op
        var supported = Set<UInt8>()
        for opcode in 0...Int32(lastOpcode) where io_uring_opcode_supported(probe, opcode) != 0 {
            supported.insert(UInt8(opcode))
        }
        self.init(lastOpcode: lastOpcode, supportedOpcodes: supported)
    }

    /// Whether the kernel supports `opcode` (an `IORING_OP_*` value).
    public func supports(opcode: UInt8) -> Bool {
        supportedOpcodes.contains(opcode)
    }
}

// MARK: What the runtime needs

extension RingProbe {
    /// The operations the runtime submits: sockets, timers, cancellation and files.
    public static let runtimeOpcodes: [UInt8] = [
        IORING_OP_NOP, IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC, IORING_OP_READ_FIXED,
        IORING_OP_WRITE_FIXED, IORING_OP_SENDMSG, IORING_OP_RECVMSG, IORING_OP_TIMEOUT, IORING_OP_ACCEPT,
        IORING_OP_ASYNC_CANCEL, IORING_OP_LINK_TIMEOUT, IORING_OP_CONNECT, IORING_OP_OPENAT, IORING_OP_CLOSE,
        IORING_OP_STATX, IORING_OP_READ, IORING_OP_WRITE, IORING_OP_SEND, IORING_OP_RECV, IORING_OP_SPLICE,
        IORING_OP_SHUTDOWN,
    ].map { UInt8($0.rawValue) }

    /// The operation that came with Linux 6.0 (`IORING_OP_SEND_ZC`). The probe lists
    /// operations, not their flags: multishot receives, sends with a destination address
    /// (both 6.0) and provided buffer rings (5.19) cannot be asked for, so a kernel whose
    /// io_uring does not know this operation is taken to lack them.
    public static let runtimeFeaturesMarker = UInt8(IORING_OP_SEND_ZC.rawValue)

    /// The runtime's operations this kernel lacks.
    public var missingRuntimeOperations: [UInt8] {
        Self.runtimeOpcodes.filter { !supports(opcode: $0) }
    }

    /// Whether the kernel's io_uring predates the features the runtime needs beyond its
    /// operations (see ``runtimeFeaturesMarker``).
    public var predatesRuntimeFeatures: Bool { lastOpcode < Self.runtimeFeaturesMarker }

    /// Why this kernel's io_uring cannot run the runtime, or nil when it can.
    public var runtimeShortfall: String? {
        let missing = missingRuntimeOperations
        if !missing.isEmpty {
            return "the kernel's io_uring lacks operations the runtime uses: "
                + missing.map(Self.name(ofOpcode:)).joined(separator: ", ")
        }
        if predatesRuntimeFeatures {
            return "the kernel's io_uring ends at \(Self.name(ofOpcode: lastOpcode)), before Linux 6.0's "
                + "multishot receives and sends with an address, which the runtime uses"
        }
        return nil
    }

    /// Checks that the kernel's io_uring can run the runtime.
    /// - Throws: ``RingError`` `EOPNOTSUPP` saying what it lacks.
    func requireRuntimeSupport() throws(RingError) {
        if let shortfall = runtimeShortfall {
            throw RingError(operation: "io_uring", errno: .notSupported, detail: shortfall)
        }
    }

    /// `IORING_OP_NAME`, or `IORING_OP_<n>` for an opcode newer than this table.
    public static func name(ofOpcode opcode: UInt8) -> String {
        Int(opcode) < opcodeNames.count ? "IORING_OP_\(opcodeNames[Int(opcode)])" : "IORING_OP_<\(opcode)>"
    }

    /// The kernel's `enum io_uring_op` in order (include/uapi/linux/io_uring.h), without the
    /// `IORING_OP_` prefix; liburing 2.3's headers stop at 48 (`SENDMSG_ZC`), the kernel may
    /// know more.
    static let opcodeNames: [String] = [
        "NOP", "READV", "WRITEV", "FSYNC", "READ_FIXED", "WRITE_FIXED", "POLL_ADD", "POLL_REMOVE",
        "SYNC_FILE_RANGE", "SENDMSG", "RECVMSG", "TIMEOUT", "TIMEOUT_REMOVE", "ACCEPT", "ASYNC_CANCEL",
        "LINK_TIMEOUT", "CONNECT", "FALLOCATE", "OPENAT", "CLOSE", "FILES_UPDATE", "STATX", "READ", "WRITE",
        "FADVISE", "MADVISE", "SEND", "RECV", "OPENAT2", "EPOLL_CTL", "SPLICE", "PROVIDE_BUFFERS",
        "REMOVE_BUFFERS", "TEE", "SHUTDOWN", "RENAMEAT", "UNLINKAT", "MKDIRAT", "SYMLINKAT", "LINKAT",
        "MSG_RING", "FSETXATTR", "SETXATTR", "FGETXATTR", "GETXATTR", "SOCKET", "URING_CMD", "SEND_ZC",
        "SENDMSG_ZC", "READ_MULTISHOT", "WAITID", "FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_WAITV",
        "FIXED_FD_INSTALL", "FTRUNCATE", "BIND", "LISTEN", "RECV_ZC", "EPOLL_WAIT", "READV_FIXED",
        "WRITEV_FIXED", "PIPE",
    ]
}
