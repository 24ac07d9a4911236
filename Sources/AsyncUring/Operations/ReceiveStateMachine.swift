import Glibc

/// The lifecycle of a connection's multishot receive, as a value: where its one request is
/// (``Request``) and where the stream is (``Stream``). ``MultishotReceive`` feeds it events
/// and performs the actions they return; it knows nothing of the kernel itself.
///
/// The stream ends at most once, and what ended it is reported after the bytes already
/// queued: end of stream (0), the error of the final completion, or the error of a send that
/// found the connection dead. The kernel is not relied on for one more completion after
/// that: a reset connection may never complete its armed receive again.
struct ReceiveStateMachine: Equatable {
    enum Request: Equatable {
        /// No request in the kernel; armed when a receive wants data.
        case idle
        case armed
        /// Armed, and a cancellation was asked for (too much unread, or the stream ended).
        case cancelling
        /// Ended with `ENOBUFS`: waits in the ring's list to be armed once buffers are back.
        case starved
    }

    enum Stream: Equatable {
        case open
        /// Ended: 0 for end of stream, else a negated errno; reported once the queue is read.
        case ended(Int32)
        /// ``MultishotReceive/close()`` ran: receives report `-ECANCELED`, data is dropped.
        case closed
    }

    private(set) var request = Request.idle
    private(set) var stream = Stream.open

    /// Whether the request is in the kernel (armed or being cancelled).
    var hasRequestInFlight: Bool { request == .armed || request == .cancelling }

    /// Whether received bytes are kept (else they are given back at once).
    var keepsData: Bool { stream != .closed }

    enum ReceiveAction: Equatable {
        /// Hand out the queued bytes.
        case deliverQueued
        /// Report this result (0 end of stream, negated errno) instead of data.
        case report(Int32)
        /// Submit the multishot request, then wait.
        case armAndWait
        /// Wait for the next completion.
        case wait
        /// The ring is stopping: no wait may begin (it throws `CancellationError`).
        case refuse
    }

    /// A receive wants data.
    mutating func receiveRequested(hasQueuedData: Bool, isRingStopping: Bool) -> ReceiveAction {
        switch stream {
        case .closed: return .report(-ECANCELED)
        case .ended(let result): return hasQueuedData ? .deliverQueued : .report(result)
        case .open:
            if hasQueuedData { return .deliverQueued }
            if isRingStopping { return .refuse }
            guard request == .idle else { return .wait }
            request = .armed
            return .armAndWait
        }
    }

    enum CompletionAction: Equatable {
        case none
        /// Ask the kernel to cancel the request (after reaping: handlers never submit).
        case cancelRequest
        /// Queue the receive in the ring's list of starved receives.
        case starve
    }

    /// A completion of the request; `queuedChunks` counts the unread buffers after it.
    mutating func completed(result: Int32, isFinal: Bool, queuedChunks: Int, chunkLimit: Int) -> CompletionAction {
        guard isFinal else {
            guard request == .armed, queuedChunks >= chunkLimit else { return .none }
            request = .cancelling
            return .cancelRequest
        }
        request = .idle
        switch result {
        case -ENOBUFS where stream == .open:
            request = .starved
            return .starve
        case -ENOBUFS, -ECANCELED, 1...:
            // Cancelled (paused, closed, ring stopping) or ended with data (the kernel may):
            // armed again on demand.
            return .none
        default:
            if stream == .open { stream = .ended(result) }
            return .none
        }
    }

    /// The connection died on the way out (a send failed with `result`): end the stream
    /// with that error and cancel the request, which the kernel may never complete.
    mutating func connectionFailed(_ result: Int32) -> CompletionAction {
        guard stream == .open else { return .none }
        stream = .ended(result)
        return stopRequest()
    }

    /// The request must be replaced (it may not see what the socket holds now): cancel it;
    /// the next receive arms a new one.
    mutating func restartRequested() -> CompletionAction {
        guard stream == .open, request == .armed else { return .none }
        request = .cancelling
        return .cancelRequest
    }

    /// Stops receiving for good.
    mutating func closeRequested() -> CompletionAction {
        guard stream != .closed else { return .none }
        stream = .closed
        return stopRequest()
    }

    private mutating func stopRequest() -> CompletionAction {
        switch request {
        case .armed:
            request = .cancelling
            return .cancelRequest
        case .starved:
            // It has no request; it stays in the ring's list, where it is skipped.
            request = .idle
            return .none
        case .idle, .cancelling:
            return .none
        }
    }

    /// The ring arms starved receives once buffers are back: true if this one is to be armed.
    mutating func armStarved() -> Bool {
        guard request == .starved, stream == .open else { return false }
        request = .armed
        return true
    }
}
