internal import CLiburing
import Glibc

/// A request target whose completion calls a closure on the ring thread instead of resuming
/// a task: for a driver that keeps many requests in flight from one place and reacts to
/// each completion without a task switch (`uring-bench echo-client`'s load loops).
///
/// The closure runs while the ring reaps completions, where nothing may be submitted (a full
/// submission queue would reap again, from inside the reaping): it records the result and
/// leaves any next request to work queued with ``Ring/execute(_:)``.
///
/// Guarded by: ring thread.
package final class CompletionCallback: CompletionTarget, @unchecked Sendable {
    private let body: (Int32) -> Void

    /// - Parameter body: called with `cqe->res` (a count, or a negated errno).
    package init(_ body: @escaping (Int32) -> Void) {
        self.body = body
    }

    override func complete(result: Int32, flags: UInt32, isFinal: Bool) {
        body(result)
    }
}

extension Ring {
    /// Submits `IORING_OP_SEND` (`MSG_NOSIGNAL`) of `count` bytes at `bytes`; `callback`
    /// gets the result. The bytes must stay valid until then. Ring thread only.
    package func submitSend(_ fd: Int32, _ bytes: UnsafeRawPointer, count: Int, callback: CompletionCallback) {
        precondition(isCurrentThread, "operations are submitted from the ring thread")
        let sqe = nextSubmission()
        io_uring_prep_send(sqe, fd, bytes, count, Int32(MSG_NOSIGNAL))
        track(sqe, callback)
    }

    /// Submits `IORING_OP_RECV` of at most `count` bytes into `buffer`; `callback` gets the
    /// result. The buffer must stay valid until then. Ring thread only.
    package func submitReceive(
        _ fd: Int32,
        into buffer: UnsafeMutableRawPointer,
        count: Int,
        callback: CompletionCallback
    ) {
        precondition(isCurrentThread, "operations are submitted from the ring thread")
        let sqe = nextSubmission()
        io_uring_prep_recv(sqe, fd, buffer, count, 0)
        track(sqe, callback)
    }
}
