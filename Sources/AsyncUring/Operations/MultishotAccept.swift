internal import CLiburing
import DequeModule
import Glibc
import SystemPackage

/// A multishot accept (`IORING_OP_ACCEPT` with `IORING_ACCEPT_MULTISHOT`): one request that
/// completes once per accepted connection while it stays armed (`IORING_CQE_F_MORE`).
/// Accepted descriptors wait in a queue until ``next()`` takes them; the request is armed
/// again on demand after the kernel ends it (an error, or a cancellation).
///
/// Guarded by: ring thread.
package final class MultishotAccept: CompletionTarget, @unchecked Sendable {
    private let ring: Ring
    private let descriptor: SocketDescriptor
    /// Accepted descriptors, or negated errnos, in completion order.
    private var results = Deque<Int32>()
    private let waiter: Waiter
    private(set) package var isArmed = false
    private var isClosed = false
    /// Beyond this many unclaimed connections the request is cancelled until they are taken.
    private let queueLimit: Int

    package init(ring: Ring, listeningDescriptor descriptor: SocketDescriptor, queueLimit: Int = 256) {
        self.ring = ring
        self.descriptor = descriptor
        self.queueLimit = queueLimit
        self.waiter = Waiter(ring: ring)
    }

    /// The next accepted descriptor or the error of the accept; `ECANCELED` once ``close()``
    /// ran.
    /// - Throws: `CancellationError` when the awaiting task is cancelled; a connection
    ///   accepted meanwhile stays queued for the next call.
    package func next() async throws -> IOResult {
        precondition(ring.isCurrentThread, "operations are submitted from the ring thread")
        if let result = results.popFirst() { return IOResult(completion: result) }
        if isClosed || ring.isStopping { return .failure(.canceled) }
        try Task.checkCancellation()
        if !isArmed { arm() }
        let result = await waiter.wait(scoped: false)
        if result == -ECANCELED && !isClosed { throw CancellationError() }
        return IOResult(completion: result)
    }

    private func arm() {
        let sqe = ring.nextSubmission()
        io_uring_prep_multishot_accept(sqe, descriptor.fd, nil, nil, Int32(SOCK_CLOEXEC.rawValue))
        ring.track(sqe, self)
        descriptor.requestStarted()
        isArmed = true
    }

    override func complete(result: Int32, flags: UInt32, isFinal: Bool) {
        handle(result: result, isFinal: isFinal)
        if isFinal { descriptor.requestEnded() }
    }

    private func handle(result: Int32, isFinal: Bool) {
        if isFinal { isArmed = false }
        // The kernel ended the request by cancellation: a ring shutdown ends the wait, else
        // a waiting caller gets the request armed again (handlers never submit themselves).
        if result == -ECANCELED && isFinal && !isClosed {
            if ring.isStopping {
                waiter.resume(-ECANCELED)
            } else if waiter.isWaiting {
                ring.execute { [self] in if waiter.isWaiting && !isArmed && !isClosed { arm() } }
            }
            return
        }
        if result >= 0 && isClosed {
            _ = Glibc.close(result)
            return
        }
        if waiter.isWaiting {
            waiter.resume(result)
            return
        }
        results.append(result)
        if results.count >= queueLimit && isArmed && !isFinal {
            ring.submitCancel(of: self)
        }
    }

    /// Stops accepting: cancels the request, closes connections nobody took, and resumes a
    /// waiting ``next()`` with `-ECANCELED`.
    package func close() {
        precondition(ring.isCurrentThread, "operations are submitted from the ring thread")
        guard !isClosed else { return }
        isClosed = true
        if isArmed { ring.submitCancel(of: self) }
        for result in results where result >= 0 { _ = Glibc.close(result) }
        results.removeAll()
        waiter.resume(-ECANCELED)
    }

    /// Test hook: cancels the armed request as if the kernel had ended it.
    package func _testOnlyEndRequest() {
        if isArmed { ring.submitCancel(of: self) }
    }
}
