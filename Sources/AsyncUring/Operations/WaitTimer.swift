internal import CLiburing
import Glibc

/// An `IORING_OP_TIMEOUT` that runs `onExpiry` on the ring thread unless cancelled first.
final class WaitTimer: CompletionTarget, @unchecked Sendable {
    private let ring: Ring
    private var onExpiry: (() -> Void)?
    // SAFETY: owned here, freed in deinit; the ring retains this object until the final
    // completion, and the kernel reads the timespec at submission.
    private let expiry = UnsafeMutablePointer<__kernel_timespec>.allocate(capacity: 1)

    init(ring: Ring, duration: Duration, onExpiry: @escaping () -> Void) {
        self.ring = ring
        self.onExpiry = onExpiry
        super.init()
        expiry.initialize(to: __kernel_timespec(duration))
        let sqe = ring.nextSubmission()
        io_uring_prep_timeout(sqe, expiry, 0, 0)
        ring.track(sqe, self)
    }

    deinit {
        expiry.deallocate()
    }

    func cancel() {
        guard onExpiry != nil else { return }
        onExpiry = nil
        ring.submitCancel(of: self)
    }

    override func complete(result: Int32, flags: UInt32, isFinal: Bool) {
        let onExpiry = self.onExpiry
        self.onExpiry = nil
        if result == -ETIME { onExpiry?() }
    }
}
