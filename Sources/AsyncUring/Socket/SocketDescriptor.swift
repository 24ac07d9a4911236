import Glibc

/// A socket descriptor owned by its ring, closed on the ring thread once closing was asked
/// for and no request on it is left in the kernel.
///
/// Requests that outlive the call that started them (a multishot receive, the send queue's
/// requests) count themselves here. The number must not be closed under
/// them: a request submitted later by number would reach whatever socket reuses it, and a
/// request the kernel still holds keeps the socket alive anyway.
///
/// Guarded by: ring thread.
package final class SocketDescriptor: @unchecked Sendable {
    package let fd: Int32
    private let ring: Ring

    private enum State {
        case open
        /// Closing was asked for; closed when the last request ends.
        case closeRequested(how: CloseRequest)
        case closed
    }

    private enum CloseRequest {
        /// Close with close(2) when idle, nobody waiting (a connection dropped unclosed).
        case close
        /// Resume this continuation when idle; the caller closes (with `IORING_OP_CLOSE`).
        case resume(CheckedContinuation<Void, Never>)
    }

    @exclusivity(unchecked) private var state = State.open
    @exclusivity(unchecked) private var requestsInFlight = 0

    package init(_ fd: Int32, ring: Ring) {
        self.fd = fd
        self.ring = ring
    }

    /// A request on the descriptor was submitted (or queued to be).
    func requestStarted() {
        requestsInFlight += 1
    }

    /// A request counted by ``requestStarted()`` had its final completion.
    func requestEnded() {
        requestsInFlight -= 1
        precondition(requestsInFlight >= 0, "a descriptor's request ended twice")
        if requestsInFlight == 0 { closeIfRequested() }
    }

    /// Closes the descriptor with close(2) as soon as no request on it is left. Ring thread.
    package func closeWhenIdle() {
        guard case .open = state else { return }
        state = .closeRequested(how: .close)
        if requestsInFlight == 0 { closeIfRequested() }
    }

    /// Waits until no request on the descriptor is left; the caller closes it then. The wait
    /// ignores task cancellation: the kernel must be done with the requests first.
    package func waitUntilIdle() async {
        precondition(ring.isCurrentThread, "operations are submitted from the ring thread")
        guard case .open = state else { return }
        if requestsInFlight == 0 {
            state = .closed
            return
        }
        await withCheckedContinuation { state = .closeRequested(how: .resume($0)) }
    }

    private func closeIfRequested() {
        guard case .closeRequested(let how) = state else { return }
        state = .closed
        switch how {
        case .close: SocketSyscalls.close(fd)
        case .resume(let continuation): continuation.resume()
        }
    }
}

extension SocketDescriptor {
    /// Runs a single-shot request on the descriptor (which returns after its final
    /// completion), counted in flight meanwhile.
    package func counting<Result>(_ request: () async throws -> Result) async throws -> Result {
        requestStarted()
        defer { requestEnded() }
        return try await request()
    }
}
