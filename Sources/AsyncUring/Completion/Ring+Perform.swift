internal import CLiburing
import Glibc

extension Ring {
    /// Submits one single-shot request described by `prepare` and waits for its completion.
    ///
    /// The call returns only after the kernel's completion, whatever happens to the task,
    /// so memory the request points at stays valid for as long as the kernel uses it.
    /// Cancelling the task submits `IORING_OP_ASYNC_CANCEL` for the request; if the request
    /// completed anyway, its result is returned (no data is lost), else this throws
    /// `CancellationError`.
    ///
    /// `submitsAtOnce` enters the kernel with the request right away instead of with the
    /// loop's batch (io_uring only): for requests a device serves (direct I/O), whose
    /// batches otherwise reach the device, and come back, in bursts.
    ///
    /// - Returns: `cqe->res`: a count or descriptor, or a negated errno; `-ETIMEDOUT` when
    ///   the linked timeout fired.
    func perform(
        _ operation: OperationState,
        timeout: Duration?,
        submitsAtOnce: Bool = false,
        _ prepare: (UnsafeMutablePointer<io_uring_sqe>) -> Void
    ) async throws -> Int32 {
        precondition(isCurrentThread, "operations are submitted from the ring thread")
        precondition(!operation.isInFlight, "an operation state was reused while in flight")
        guard !isStopping else { throw CancellationError() }
        try Task.checkCancellation()
        operation.generation &+= 1
        operation.cancellation = .none
        let generation = operation.generation
        let result = await withTaskCancellationHandler {
            await withOperationContinuation { continuation in
                // Cancelled between the check above and here, by this very thread.
                if operation.cancellation == .byTask { return continuation.resume(returning: -ECANCELED) }
                operation.continuation = continuation
                submit(operation, timeout: timeout, prepare)
                // Completions this posts are reaped by the loop, as always.
                if submitsAtOnce, driver == .ioUring { raw.submit(wait: false) }
            }
        } onCancel: {
            requestCancel(operation, generation: generation)
        }
        // A request cancelled while it was running (a send partly done) may end with EINTR.
        let isCancellation =
            result == -ECANCELED
            || (result == -EINTR && (operation.cancellation != .none || operation.hasTimeout || isStopping))
        guard isCancellation else { return result }
        switch operation.cancellation {
        case .byTask: throw CancellationError()
        case .byOwner: return -ECANCELED
        case .none:
            if isStopping { throw CancellationError() }
            // Neither the task nor the owner cancelled it: the linked timeout did.
            return operation.hasTimeout ? -ETIMEDOUT : -ECANCELED
        }
    }

    /// Performs requests over `bytes` until every byte went, one fails, or one moves none: a
    /// short transfer goes on with the rest. The bytes are retained by the operation's state
    /// until the last completion.
    /// - Parameter prepare: prepares the request for `count` bytes at `pointer`, `done` bytes
    ///   into `bytes`.
    /// - Returns: the bytes transferred, and the negated errno of the request that failed.
    func performWhole(
        _ bytes: ArraySlice<UInt8>,
        _ operation: OperationState,
        timeout: Duration?,
        _ prepare: (_ sqe: UnsafeMutablePointer<io_uring_sqe>, _ pointer: UnsafeRawPointer, _ count: Int, _ done: Int)
            -> Void
    ) async throws -> (done: Int, failure: Int32?) {
        guard !bytes.isEmpty else { return (0, nil) }
        operation.retainedStorage = bytes
        defer { operation.retainedStorage = nil }
        // SAFETY: the slice's storage is retained by the operation's state and not mutated
        // until this function returns, which is after the final completion.
        let base = bytes.withUnsafeBytes { $0.baseAddress! }
        var done = 0
        while done < bytes.count {
            let result = try await perform(operation, timeout: timeout) { [done] sqe in
                prepare(sqe, base + done, bytes.count - done, done)
            }
            if result < 0 { return (done, result) }
            if result == 0 { break }
            done += Int(result)
        }
        return (done, nil)
    }

    private func submit(
        _ operation: OperationState,
        timeout: Duration?,
        _ prepare: (UnsafeMutablePointer<io_uring_sqe>) -> Void
    ) {
        // A request and its linked timeout must reach the kernel in the same submission.
        if timeout != nil { reserveSubmissions(2) }
        let sqe = nextSubmission()
        prepare(sqe)
        track(sqe, operation)
        operation.isInFlight = true
        operation.hasTimeout = timeout != nil
        guard let timeout else { return }
        sqe.pointee.flags |= cliburing_iosqe_io_link
        operation.timeout.pointee = __kernel_timespec(timeout)
        let timeoutSQE = nextSubmission()
        io_uring_prep_link_timeout(timeoutSQE, operation.timeout, 0)
        io_uring_sqe_set_data64(timeoutSQE, Self.ignoredUserData)
    }

    /// Called from any thread when the awaiting task is cancelled.
    private func requestCancel(_ operation: OperationState, generation: UInt64) {
        if isCurrentThread { return cancel(operation, generation: generation) }
        execute { [self] in cancel(operation, generation: generation) }
    }

    private func cancel(_ operation: OperationState, generation: UInt64) {
        // After the ring ended, leftover work runs elsewhere; nothing is in flight then.
        guard isCurrentThread, operation.generation == generation, operation.cancellation == .none else { return }
        operation.cancellation = .byTask
        if operation.isInFlight { submitCancel(of: operation) }
    }
}

/// Suspends until `body`'s continuation is resumed, on the executor the caller runs on.
///
/// Operations only wait on their ring's thread, so the caller already runs where the
/// completion resumes it. `withCheckedContinuation(isolation:)` would hop to `#isolation`
/// before and after the suspension: two `swift_task_switch` calls per wait, each taking the
/// task's status record lock to read its executor preference. The inheriting variant makes
/// none itself (the caller still checks its executor once after the wait); the continuation
/// resumes on the executor that was current when it was made.
@inline(__always)
func withOperationContinuation(_ body: (OperationContinuation) -> Void) async -> Int32 {
    await _unsafeInheritExecutor_withUnsafeContinuation { continuation in
        #if ASYNC_URING_UNSAFE_CONTINUATION
        body(continuation)
        #else
        body(CheckedContinuation(continuation: continuation))
        #endif
    }
}

extension __kernel_timespec {
    /// A non-negative timespec; negative durations become zero.
    init(_ duration: Duration) {
        // Both components carry the sign (-1 ms is 0 s and -10^15 as): a negative tv_nsec
        // makes the kernel refuse the timeout with EINVAL, and a wait on it never ends.
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 else {
            self.init(tv_sec: 0, tv_nsec: 0)
            return
        }
        self.init(tv_sec: seconds, tv_nsec: attoseconds / 1_000_000_000)
    }
}
