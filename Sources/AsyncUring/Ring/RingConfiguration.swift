/// How a ``Ring`` sets up its io_uring instance.
public struct RingConfiguration: Sendable, Hashable {
    /// Submission queue entries (rounded up to a power of two by the kernel).
    public var submissionEntries: UInt32
    /// Completion queue entries; at least `submissionEntries`.
    public var completionEntries: UInt32
    /// Number of buffers in the ring's provided buffer ring, a power of two.
    public var receiveBufferCount: UInt16
    /// Size in bytes of each provided receive buffer; bounds one receive's result.
    public var receiveBufferSize: UInt32
    /// The driver to run on; nil chooses automatically: the one ``RingDriver/environmentVariable``
    /// names, else io_uring, falling back to epoll (once per process, logged at notice level)
    /// when the kernel refuses io_uring (`EPERM`, `EACCES`, `ENOSYS`, `EINVAL`) or its io_uring
    /// lacks what the runtime uses (`EOPNOTSUPP`, see ``RingProbe/runtimeShortfall``). A ring
    /// forced onto io_uring throws those errors instead.
    public var driver: RingDriver?

    public init(
        submissionEntries: UInt32 = 4096,
        completionEntries: UInt32 = 16384,
        receiveBufferCount: UInt16 = 1024,
        receiveBufferSize: UInt32 = 16384,
        driver: RingDriver? = nil
    ) {
        self.submissionEntries = submissionEntries
        self.completionEntries = max(completionEntries, submissionEntries)
        self.receiveBufferCount = receiveBufferCount
        self.receiveBufferSize = receiveBufferSize
        self.driver = driver
    }

    public static let `default` = RingConfiguration()

    /// Checks what the kernel or the buffer ring would refuse later, where it could only trap.
    /// - Throws: ``RingError`` with `EINVAL` naming the value.
    func validate() throws(RingError) {
        func invalid(_ detail: String) -> RingError {
            RingError(operation: "ring configuration", errno: .invalidArgument, detail: detail)
        }
        // Beyond the kernel's limits (IORING_MAX_ENTRIES, IORING_MAX_CQ_ENTRIES) io_uring_setup
        // fails with EINVAL, which must not read as "io_uring refused here".
        guard submissionEntries > 0, submissionEntries <= 32768 else {
            throw invalid("submissionEntries \(submissionEntries) is not in 1...32768")
        }
        guard completionEntries <= 65536 else {
            throw invalid("completionEntries \(completionEntries) is more than 65536")
        }
        // The kernel takes at most 32768 buffers in a buffer ring, a power of two.
        guard receiveBufferCount > 0, receiveBufferCount <= 32768, receiveBufferCount & (receiveBufferCount - 1) == 0
        else { throw invalid("receiveBufferCount \(receiveBufferCount) is not a power of two in 1...32768") }
        guard receiveBufferSize > 0 else { throw invalid("receiveBufferSize must be positive") }
    }
}

/// The io_uring set-up flags the kernel accepted for a ring.
public struct RingSetupFlags: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let submitAll = RingSetupFlags(rawValue: 1 << 7)  // IORING_SETUP_SUBMIT_ALL
    public static let coopTaskrun = RingSetupFlags(rawValue: 1 << 8)  // IORING_SETUP_COOP_TASKRUN
    public static let singleIssuer = RingSetupFlags(rawValue: 1 << 12)  // IORING_SETUP_SINGLE_ISSUER
    public static let deferTaskrun = RingSetupFlags(rawValue: 1 << 13)  // IORING_SETUP_DEFER_TASKRUN

    /// The set-ups tried in order; the first the kernel accepts is used.
    static let preferred: [RingSetupFlags] = [
        [.singleIssuer, .deferTaskrun, .submitAll],
        [.singleIssuer, .coopTaskrun, .submitAll],
        [.coopTaskrun],
        [],
    ]

    public var description: String {
        let names: [(RingSetupFlags, String)] = [
            (.singleIssuer, "SINGLE_ISSUER"), (.deferTaskrun, "DEFER_TASKRUN"),
            (.coopTaskrun, "COOP_TASKRUN"), (.submitAll, "SUBMIT_ALL"),
        ]
        let set = names.filter { contains($0.0) }.map(\.1)
        return set.isEmpty ? "none" : set.joined(separator: "|")
    }
}
