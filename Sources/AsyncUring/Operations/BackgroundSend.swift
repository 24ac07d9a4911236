internal import CLiburing
import Glibc
import SystemPackage

/// Write-behind sends for one connection: the bytes are copied into a staging buffer owned
/// here, one `IORING_OP_SEND` (with `MSG_NOSIGNAL`) is submitted, and the caller goes on
/// without waiting for its completion, as write(2) returns once the kernel holds the bytes.
/// Short sends are continued from the completion; the first error is kept for the next
/// caller. At most one send is in flight; a caller that finds one waits for it, which is
/// the backpressure.
///
/// Guarded by: ring thread.
/// Its ring-thread state is `@exclusivity(unchecked)`: only the ring thread touches it, never
/// through overlapping accesses, and the dynamic checks cost about 2% of an echo round trip.
package final class BackgroundSend: CompletionTarget, @unchecked Sendable {
    /// Sends up to this many bytes are staged; larger ones are awaited in place.
    package static let stagingLimit = 65536

    private let ring: Ring
    private let descriptor: SocketDescriptor
    // SAFETY: owned here, grown only while no send is in flight, freed in deinit; the ring's
    // retained reference keeps this object alive until the final completion.
    @exclusivity(unchecked) private var staging: UnsafeMutableRawPointer?
    @exclusivity(unchecked) private var capacity = 0
    /// A received buffer being sent as it is, instead of staged bytes.
    @exclusivity(unchecked) private var lent: ReceivedBytes?
    /// Where the bytes being sent start: in `staging`, or in `lent`.
    @exclusivity(unchecked) private var base: UnsafeRawPointer?
    @exclusivity(unchecked) private var length = 0
    @exclusivity(unchecked) private var sent = 0

    private enum Phase {
        case idle
        /// A send request is in the kernel.
        case submitted
        /// A short send's remainder is queued for submission after the completions.
        case continuing
    }

    @exclusivity(unchecked) private var phase = Phase.idle
    /// ``cancel()`` ran: the send in flight is cancelled, and so is every later one.
    @exclusivity(unchecked) private var isCancelled = false
    /// The first failure (negated errno) not yet reported.
    @exclusivity(unchecked) private var failure: Int32 = 0
    /// Bounds ``finish(within:)``.
    @exclusivity(unchecked) private var flushTimer: WaitTimer?
    private let waiter: Waiter
    /// Told of a failure that is not a cancellation (the connection decides whether it
    /// ended the connection); runs while completions are reaped.
    @exclusivity(unchecked) package var onFailure: ((Errno) -> Void)?

    package init(ring: Ring, descriptor: SocketDescriptor) {
        self.ring = ring
        self.descriptor = descriptor
        self.waiter = Waiter(ring: ring)
    }

    deinit {
        staging?.deallocate()
    }

    /// A send request is in flight or queued for resubmission.
    package var isInFlight: Bool { phase != .idle }

    /// Whether the next caller must wait: a send in flight, or an error to report.
    package var needsWait: Bool { isInFlight || failure != 0 }

    /// Copies `bytes` into the staging buffer and submits the send. Call it only when
    /// ``needsWait`` is false and `bytes.count <= stagingLimit`.
    package func start(_ bytes: ArraySlice<UInt8>) {
        precondition(ring.isCurrentThread && !isInFlight && bytes.count <= Self.stagingLimit)
        guard !bytes.isEmpty else { return }
        if capacity < bytes.count {
            staging?.deallocate()
            capacity = max(bytes.count.nextPowerOfTwo, 512)
            staging = .allocate(byteCount: capacity, alignment: 16)
        }
        bytes.withUnsafeBytes { staging!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        begin(from: UnsafeRawPointer(staging!), count: bytes.count)
    }

    /// Submits a send of `bytes` from the buffer they were received in, which goes back to
    /// its ring once sent. Call it only when ``needsWait`` is false.
    package func start(_ bytes: consuming ReceivedBytes) {
        precondition(ring.isCurrentThread && !isInFlight)
        let (base, count) = (bytes.baseAddress, bytes.count)
        lent = consume bytes
        begin(from: base, count: count)
    }

    private func begin(from base: UnsafeRawPointer, count: Int) {
        guard !isCancelled else {
            lent = nil
            if failure == 0 { failure = -ECANCELED }
            return
        }
        self.base = base
        length = count
        sent = 0
        descriptor.requestStarted()
        submit()
    }

    private func submit() {
        phase = .submitted
        let sqe = ring.nextSubmission()
        io_uring_prep_send(sqe, descriptor.fd, base! + sent, length - sent, Int32(MSG_NOSIGNAL))
        ring.track(sqe, self)
    }

    override func complete(result: Int32, flags: UInt32, isFinal: Bool) {
        // A send cancelled while it was running may end with EINTR.
        let result = result == -EINTR && isCancelled ? -ECANCELED : result
        if result > 0 {
            ring.counters.bytesSent &+= Int(result)
            sent += Int(result)
            if sent < length {
                // Handlers never submit while completions are reaped: continue after it.
                phase = .continuing
                ring.execute { [self] in continueSending() }
                return
            }
        } else if failure == 0 {
            failure = result == 0 ? -EPIPE : result
            if result != -ECANCELED { onFailure?(Errno(rawValue: -failure)) }
        }
        finish()
    }

    /// Submits a short send's remainder, unless the sends were cancelled meanwhile.
    private func continueSending() {
        guard phase == .continuing else { return }
        guard !isCancelled else {
            if failure == 0 { failure = -ECANCELED }
            return finish()
        }
        submit()
    }

    private func finish() {
        lent = nil
        phase = .idle
        flushTimer?.cancel()
        flushTimer = nil
        descriptor.requestEnded()
        waiter.resume(0)
    }

    /// Cancels the send in flight, if any, and refuses later ones (they fail with
    /// `-ECANCELED`): the connection is closing.
    package func cancel() {
        precondition(ring.isCurrentThread)
        isCancelled = true
        if phase == .submitted { ring.submitCancel(of: self) }
    }

    /// Lets the send in flight finish within `limit`, then cancels it; later sends are
    /// refused. For a connection closed, or dropped, with accepted bytes still to send: a peer
    /// that stopped reading must not keep the descriptor open for ever.
    package func finish(within limit: Duration) {
        precondition(ring.isCurrentThread)
        guard isInFlight else { return cancel() }
        guard flushTimer == nil else { return }
        flushTimer = WaitTimer(ring: ring, duration: limit) { [self] in cancel() }
    }

    /// Waits until no send is in flight, then returns the first failure not yet reported
    /// (`ECANCELED` when a close cancelled it), or nil, and forgets it.
    /// - Throws: `CancellationError` when the waiting task is cancelled (the send itself
    ///   goes on).
    package func waitUntilIdle(scoped: Bool = false) async throws -> Errno? {
        precondition(ring.isCurrentThread)
        if isInFlight {
            try Task.checkCancellation()
            if await waiter.wait(scoped: scoped) == -ECANCELED { throw CancellationError() }
        }
        defer { failure = 0 }
        return failure == 0 ? nil : Errno(rawValue: -failure)
    }

    /// Ends a wait that relies on the connection's cancellation scope.
    package func cancelScopedWait() {
        waiter.cancelScopedWait()
    }
}

extension Int {
    fileprivate var nextPowerOfTwo: Int {
        self <= 1 ? 1 : 1 << (Int.bitWidth - (self - 1).leadingZeroBitCount)
    }
}
