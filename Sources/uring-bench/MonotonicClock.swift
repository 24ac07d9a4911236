import Glibc

/// Nanoseconds of `CLOCK_MONOTONIC`: one vDSO call, no allocation, cheap enough to read
/// twice per round trip.
enum MonotonicClock {
    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }

    /// Whole nanoseconds in `seconds`, for deadlines.
    static func nanoseconds(_ seconds: Double) -> UInt64 {
        UInt64((max(0, seconds) * 1e9).rounded())
    }

    /// Sleeps until `deadline` (nanoseconds of this clock); returns early when cancelled.
    static func sleep(untilNanoseconds deadline: UInt64) async {
        let now = now()
        guard deadline > now else { return }
        try? await Task.sleep(for: .nanoseconds(Int64(deadline - now)))
    }
}
