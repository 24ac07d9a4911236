internal import CLiburing
import Glibc

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
    private let fd: Int32
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
    /// A send request is in flight or queued for resubmission.
    @exclusivity(unchecked) package private(set) var isInFlight = false
    /// The first failure (negated errno) not yet reported.
    @exclusivity(unchecked) private var failure: Int32 = 0
    private let waiter: Waiter
    /// What ``drain(within:)`` waits on: a send may hold `waiter` at the same time.
    /// Made on first use: only a close that finds a send in flight needs it.
    private var drainWaiter: Waiter?

    package init(ring: Ring, descriptor fd: Int32) {
        self.ring = ring
        self.fd = fd
        self.waiter = Waiter(ring: ring)
    }

    deinit {
        staging?.deallocate()
    }

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
        submit(from: UnsafeRawPointer(staging!), count: bytes.count)
    }

    /// Submits a send of `bytes` from the buffer they were received in, which goes back to
    /// its ring once sent. Call it only when ``needsWait`` is false.
    package func start(_ bytes: consuming ReceivedBytes) {
        precondition(ring.isCurrentThread && !isInFlight)
        let (base, count) = (bytes.baseAddress, bytes.count)
        lent = consume bytes
        submit(from: base, count: count)
    }

    private func submit(from base: UnsafeRawPointer, count: Int) {
        self.base = base
        length = count
        sent = 0
        isInFlight = true
        submit()
    }

    private func submit() {
        let sqe = ring.nextSubmission()
        io_uring_prep_send(sqe, fd, base! + sent, length - sent, Int32(MSG_NOSIGNAL))
        ring.track(sqe, self)
    }

    override func complete(result: Int32, flags: UInt32, isFinal: Bool) {
        if result > 0 {
            ring.counters.bytesSent &+= Int(result)
            sent += Int(result)
            if sent < length {
                // Handlers never submit while completions are reaped: continue after it.
                ring.execute { [self] in if isInFlight { submit() } }
                return
            }
        } else if failure == 0 {
            failure = result == 0 ? -EPIPE : result
        }
        lent = nil
        isInFlight = false
        waiter.resume(0)
        drainWaiter?.resume(0)
    }

    /// Waits until no send is in flight, then returns the first failure not yet reported
    /// (negated errno; `-ECANCELED` when a close cancelled it) or 0, and forgets it.
    /// - Throws: `CancellationError` when the waiting task is cancelled (the send itself
    ///   goes on).
    package func waitUntilIdle(scoped: Bool = false) async throws -> Int32 {
        precondition(ring.isCurrentThread)
        if isInFlight {
            try Task.checkCancellation()
            if await waiter.wait(scoped: scoped) == -ECANCELED { throw CancellationError() }
        }
        defer { failure = 0 }
        return failure
    }

    /// Waits until no send is in flight, at most `limit`, for a close: a peer that stopped
    /// reading must not keep it waiting for ever. A send may be waiting at the same time.
    /// Returns at once when the task is cancelled.
    package func drain(within limit: Duration) async {
        precondition(ring.isCurrentThread)
        guard isInFlight, !Task.isCancelled else { return }
        let drainWaiter = self.drainWaiter ?? Waiter(ring: ring)
        self.drainWaiter = drainWaiter
        let timer = WaitTimer(ring: ring, duration: limit) { drainWaiter.resume(-ETIMEDOUT) }
        _ = await drainWaiter.wait(scoped: false)
        timer.cancel()
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
