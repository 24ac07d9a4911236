internal import CLiburing
import Logging

/// The ring thread's driver, io_uring or its readiness fallback, behind the one interface
/// the ring uses: free submission entries, submitting (and waiting), reaping completions and
/// the provided buffer ring. Everything above it is the same code for both.
///
/// Used from the ring thread only.
final class RawRing {
    private enum Backend {
        case kernel(KernelRing)
        case readiness(ReadinessRing)
    }

    private let backend: Backend

    /// Sets up the driver `configuration` asks for, or the automatic one (see
    /// ``RingDriver``).
    init(configuration: RingConfiguration, logger: Logger) throws(RingError) {
        switch try RingDriver.select(configuration.driver) {
        case .ioUring:
            backend = .kernel(try KernelRing(configuration: configuration))
        case .epoll:
            backend = .readiness(try ReadinessRing(configuration: configuration))
        case nil:
            do throws(RingError) {
                backend = .kernel(try KernelRing(configuration: configuration))
                RingDriver.recordAutomatic(.ioUring, reason: nil, logger: logger)
            } catch  where RingDriver.isRefusal(error) {
                backend = .readiness(try ReadinessRing(configuration: configuration))
                RingDriver.recordAutomatic(.epoll, reason: error, logger: logger)
            }
        }
    }

    var driver: RingDriver {
        switch backend {
        case .kernel: .ioUring
        case .readiness: .epoll
        }
    }

    var setupFlags: RingSetupFlags {
        switch backend {
        case .kernel(let kernel): kernel.setupFlags
        case .readiness: []
        }
    }

    /// Operations the epoll driver handed to its worker threads (0 on io_uring).
    var workerOperations: Int {
        switch backend {
        case .kernel: 0
        case .readiness(let readiness): readiness.workerOperations
        }
    }

    var hasRegisteredRingFD: Bool {
        switch backend {
        case .kernel(let kernel): kernel.hasRegisteredRingFD
        case .readiness: false
        }
    }

    var submissionSpaceLeft: UInt32 {
        switch backend {
        case .kernel(let kernel): kernel.submissionSpaceLeft
        case .readiness(let readiness): readiness.submissionSpaceLeft
        }
    }

    var hasPendingSubmissions: Bool {
        switch backend {
        case .kernel(let kernel): kernel.hasPendingSubmissions
        case .readiness(let readiness): readiness.hasPendingSubmissions
        }
    }

    /// Completions kept aside on a full completion queue; the fallback's queue never fills.
    var completionQueueOverflows: UInt32 {
        switch backend {
        case .kernel(let kernel): kernel.completionQueueOverflows
        case .readiness: 0
        }
    }

    /// A free submission entry; what is queued is submitted first when the queue is full.
    @inline(__always)
    func nextSubmission(reap: () -> Void) -> UnsafeMutablePointer<io_uring_sqe> {
        switch backend {
        case .kernel(let kernel): kernel.nextSubmission(reap: reap)
        case .readiness(let readiness): readiness.nextSubmission()
        }
    }

    /// Submits queued entries; waits for at least one completion when `wait` is set.
    /// Returns the negated errno on failure (EINTR, EBUSY, EAGAIN are not fatal).
    @discardableResult
    func submit(wait: Bool) -> Int32 {
        switch backend {
        case .kernel(let kernel): kernel.submit(wait: wait)
        case .readiness(let readiness): readiness.submit(wait: wait)
        }
    }

    /// Hands every available completion to `handle` and marks them seen; returns how many.
    @discardableResult
    func reap(_ handle: (_ userData: UInt64, _ result: Int32, _ flags: UInt32) -> Void) -> Int {
        switch backend {
        case .kernel(let kernel): kernel.reap(handle)
        case .readiness(let readiness): readiness.reap(handle)
        }
    }

    /// Registers a provided buffer ring; returns 0 or the negated errno.
    func registerBufferRing(_ memory: UnsafeMutableRawPointer, entries: UInt16, groupID: UInt16) -> Int32 {
        switch backend {
        case .kernel(let kernel): kernel.registerBufferRing(memory, entries: entries, groupID: groupID)
        case .readiness(let readiness): readiness.registerBufferRing(memory, entries: entries, groupID: groupID)
        }
    }

    /// Registers buffers for `READ_FIXED`/`WRITE_FIXED`; returns 0 or the negated errno.
    func registerBuffers(_ buffers: [(base: UnsafeMutableRawPointer, count: Int)]) -> Int32 {
        switch backend {
        case .kernel(let kernel): kernel.registerBuffers(buffers)
        // The epoll driver reads and writes the memory the entry points at: nothing to pin.
        case .readiness: 0
        }
    }

    func unregisterBuffers() {
        if case .kernel(let kernel) = backend { kernel.unregisterBuffers() }
    }

    func unregisterBufferRing(groupID: UInt16) {
        switch backend {
        case .kernel(let kernel): kernel.unregisterBufferRing(groupID: groupID)
        case .readiness(let readiness): readiness.unregisterBufferRing(groupID: groupID)
        }
    }
}
