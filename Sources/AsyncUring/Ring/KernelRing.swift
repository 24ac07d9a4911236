internal import CLiburing
import Glibc
import SystemPackage

/// The io_uring driver: the owner of one `struct io_uring`, its set-up, submission queue
/// entries, submission and completion reaping. Used from the ring thread only (the ring is
/// `SINGLE_ISSUER` when the kernel allows it, so it must also be created there).
final class KernelRing {
    // SAFETY: allocated here, freed in deinit after io_uring_queue_exit; `struct io_uring`
    // must not move, so it never lives in a Swift `var`.
    let ring: UnsafeMutablePointer<io_uring>
    let setupFlags: RingSetupFlags
    let hasRegisteredRingFD: Bool
    private let cqeBatch: UnsafeMutablePointer<UnsafeMutablePointer<io_uring_cqe>?>
    private static let batchSize: UInt32 = 256

    init(configuration: RingConfiguration) throws(RingError) {
        ring = .allocate(capacity: 1)
        ring.initialize(to: io_uring())
        var lastError: Int32 = 0
        var obtained: RingSetupFlags?
        for flags in RingSetupFlags.preferred {
            var params = io_uring_params()
            params.flags = flags.rawValue | IORING_SETUP_CQSIZE
            params.cq_entries = configuration.completionEntries
            let ret = io_uring_queue_init_params(configuration.submissionEntries, ring, &params)
            if ret == 0 {
                obtained = flags
                break
            }
            lastError = -ret
            // EINVAL: the kernel does not know a flag; try the next set-up. Anything else
            // (ENOMEM, EPERM, ENOSYS) will not get better with fewer flags.
            if ret != -EINVAL { break }
        }
        guard let obtained else {
            ring.deallocate()
            throw RingError(operation: "io_uring_queue_init_params", errno: Errno(rawValue: lastError))
        }
        do throws(RingError) {
            try Self.checkRuntimeSupport(ring)
        } catch {
            io_uring_queue_exit(ring)
            ring.deallocate()
            throw error
        }
        setupFlags = obtained
        // Saves the fd lookup in every io_uring_enter; 1 means registered.
        hasRegisteredRingFD = io_uring_register_ring_fd(ring) == 1
        cqeBatch = .allocate(capacity: Int(Self.batchSize))
    }

    /// Checks that the kernel's io_uring does what the runtime asks of it (Linux 6.0's
    /// operations and features, see ``RingProbe/runtimeShortfall``): on an older kernel
    /// io_uring sets up fine, and the first accept or receive would fail instead.
    /// - Throws: ``RingError`` `EOPNOTSUPP` saying what the kernel lacks.
    private static func checkRuntimeSupport(_ ring: UnsafeMutablePointer<io_uring>) throws(RingError) {
        let probe: RingProbe
        do throws(RingError) {
            probe = try RingProbe(probing: ring)
        } catch {
            throw RingError(
                operation: "io_uring",
                errno: .notSupported,
                detail: "the kernel's io_uring answers no operation probe (IORING_REGISTER_PROBE, Linux 5.6)"
            )
        }
        try probe.requireRuntimeSupport()
    }

    deinit {
        io_uring_queue_exit(ring)
        ring.deallocate()
        cqeBatch.deallocate()
    }

    var submissionSpaceLeft: UInt32 { io_uring_sq_space_left(ring) }

    var hasPendingSubmissions: Bool { io_uring_sq_ready(ring) > 0 }

    /// The kernel's count of completions it kept aside on a full completion queue. A plain
    /// counter the kernel bumps; a stale read only delays the figure.
    var completionQueueOverflows: UInt32 { ring.pointee.cq.koverflow.pointee }

    /// A free submission queue entry. When the queue is full, what is queued is submitted
    /// first (never dropped); `reap` is called when the kernel asks us to make room in the
    /// completion queue.
    func nextSubmission(reap: () -> Void) -> UnsafeMutablePointer<io_uring_sqe> {
        while true {
            if let sqe = io_uring_get_sqe(ring) { return sqe }
            let ret = io_uring_submit(ring)
            if ret == -EBUSY || ret == -EAGAIN { reap() }
        }
    }

    /// Submits queued entries; waits for at least one completion when `wait` is set.
    /// Returns the negated errno on failure (EINTR, EBUSY, EAGAIN are not fatal).
    @discardableResult
    func submit(wait: Bool) -> Int32 {
        if wait { return io_uring_submit_and_wait(ring, 1) }
        // With DEFER_TASKRUN, completions are only posted while we enter the kernel asking
        // for events.
        if setupFlags.contains(.deferTaskrun) { return io_uring_submit_and_get_events(ring) }
        return io_uring_submit(ring)
    }

    /// Registers a provided buffer ring of `entries` buffers at `memory` as `groupID`.
    /// Returns 0 or the negated errno.
    func registerBufferRing(_ memory: UnsafeMutableRawPointer, entries: UInt16, groupID: UInt16) -> Int32 {
        var registration = io_uring_buf_reg()
        registration.ring_addr = UInt64(UInt(bitPattern: memory))
        registration.ring_entries = UInt32(entries)
        registration.bgid = groupID
        return io_uring_register_buf_ring(ring, &registration, 0)
    }

    /// Registers buffers for `READ_FIXED`/`WRITE_FIXED` (the kernel copies the iovecs and
    /// pins the pages). Returns 0 or the negated errno.
    func registerBuffers(_ buffers: [(base: UnsafeMutableRawPointer, count: Int)]) -> Int32 {
        let iovecs = buffers.map { iovec(iov_base: $0.base, iov_len: $0.count) }
        return iovecs.withUnsafeBufferPointer { io_uring_register_buffers(ring, $0.baseAddress, UInt32($0.count)) }
    }

    func unregisterBuffers() {
        io_uring_unregister_buffers(ring)
    }

    func unregisterBufferRing(groupID: UInt16) {
        io_uring_unregister_buf_ring(ring, Int32(groupID))
    }

    /// Hands every available completion to `handle`, in batches, and marks them seen.
    /// Returns the number of completions handled.
    @discardableResult
    func reap(_ handle: (_ userData: UInt64, _ result: Int32, _ flags: UInt32) -> Void) -> Int {
        var total = 0
        while true {
            let count = io_uring_peek_batch_cqe(ring, cqeBatch, Self.batchSize)
            if count == 0 { return total }
            for index in 0..<Int(count) {
                // SAFETY: peek_batch_cqe filled `count` entries pointing into the mapped CQ;
                // they stay valid until io_uring_cq_advance below.
                let cqe = cqeBatch[index]!.pointee
                handle(cqe.user_data, cqe.res, cqe.flags)
            }
            io_uring_cq_advance(ring, count)
            total += Int(count)
            if count < Self.batchSize { return total }
        }
    }
}
