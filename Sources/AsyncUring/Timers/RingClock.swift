/// A clock whose sleeps run on the caller's ring: a task that prefers a ring as its
/// executor sleeps with an `IORING_OP_TIMEOUT` on that ring and resumes on the ring thread,
/// with no hop through the global executor.
///
/// Its instants are `ContinuousClock`'s, so deadlines mix freely with `ContinuousClock.now`
/// and `Task.sleep(until:)`. Where the caller runs on no ring's thread (a task without a
/// ring preference, or code isolated to an actor), ``sleep(until:tolerance:)`` is a plain
/// `ContinuousClock` sleep.
///
/// ```swift
/// let server = TCPServer(listener: listener) { connection in
///     // The handler runs on its connection's ring: it pauses there, with no thread hop.
///     try await RingClock().sleep(for: .milliseconds(50))
///     // A deadline shared by several steps, through any API that takes a clock:
///     let deadline = RingClock.now.advanced(by: .seconds(1))
///     try await Task.sleep(until: deadline, clock: .ring)
/// }
/// ```
///
/// The corresponding io_uring operation is `IORING_OP_TIMEOUT`.
public struct RingClock: Clock {
    public typealias Instant = ContinuousClock.Instant
    public typealias Duration = Swift.Duration

    public init() {}

    /// The current instant: `ContinuousClock.now`.
    public static var now: Instant { ContinuousClock.now }

    /// The current instant: `ContinuousClock.now`.
    public var now: Instant { ContinuousClock.now }

    /// `ContinuousClock`'s resolution. A ring on the epoll driver waits with `epoll_pwait2`
    /// (nanoseconds), or whole milliseconds where the kernel or a seccomp profile lacks it.
    public var minimumResolution: Duration { ContinuousClock().minimumResolution }

    /// Suspends the caller until `deadline`, on the caller's ring when it runs on one.
    ///
    /// On a ring thread this submits an `IORING_OP_TIMEOUT` whose state object comes from
    /// the ring's pool, and the caller resumes on that ring thread; it never returns before
    /// `deadline`. A deadline that has passed returns at once, without a request (a
    /// cancelled task still throws). Cancelling the task cancels the timeout
    /// (`IORING_OP_ASYNC_CANCEL`) and the sleep throws `CancellationError` at once, unless
    /// the timeout fired first. Off the rings it sleeps on `ContinuousClock`.
    ///
    /// - Parameters:
    ///   - deadline: The instant to sleep until.
    ///   - tolerance: Ignored on a ring, whose timeouts fire as soon as they expire; passed
    ///     on to `ContinuousClock` otherwise.
    /// - Throws: `CancellationError` when the task is cancelled or the ring is stopping.
    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        if let ring = Ring.current {
            try await ring.sleep(until: deadline)
        } else {
            try await ContinuousClock().sleep(until: deadline, tolerance: tolerance)
        }
    }

    /// Suspends the caller for `duration`, on the caller's ring when it runs on one: a sleep
    /// until `now` plus `duration`. See ``sleep(until:tolerance:)``.
    ///
    /// ```swift
    /// try await RingClock().sleep(for: .milliseconds(10))
    /// ```
    ///
    /// - Throws: `CancellationError` when the task is cancelled or the ring is stopping.
    public func sleep(for duration: Duration, tolerance: Duration? = nil) async throws {
        try await sleep(until: now.advanced(by: duration), tolerance: tolerance)
    }
}

extension Clock where Self == RingClock {
    /// A clock whose sleeps run on the caller's ring; see ``RingClock``.
    public static var ring: RingClock { RingClock() }
}
