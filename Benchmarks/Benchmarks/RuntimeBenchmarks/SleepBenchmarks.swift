import AsyncUring
import Benchmark

/// A sleep/wake cycle from a task that prefers the ring: on the ring (``RingClock``, an
/// `IORING_OP_TIMEOUT` per sleep) against `Task.sleep` (a timer on the global executor,
/// then a hop back to the ring thread). A zero sleep on ``RingClock`` returns without a
/// request; `Task.sleep(for: .zero)` still suspends. At a microsecond both cycles mostly
/// measure waking a thread that went to sleep; at 100 µs both wait for a timer.
///
/// CPU time counts the whole process, so `Task.sleep`'s includes the dispatch threads that
/// run its timers.
func sleepBenchmarks() {
    for (name, duration) in [("zero", Duration.zero), ("1us", .microseconds(1)), ("100us", .microseconds(100))] {
        let ringClockGroup = Fixture<RingGroup>()
        Benchmark("RingClock-sleep-\(name)") { benchmark in
            let ring = ringClockGroup.value.rings[0]
            let clock = RingClock()
            try await withTaskExecutorPreference(ring) {
                for _ in benchmark.scaledIterations {
                    try await clock.sleep(for: duration)
                }
            }
        } setup: {
            try await ringClockGroup.setUp { try RingGroup(numberOfRings: 1) }
        } teardown: {
            await ringClockGroup.tearDown { await $0.shutdown() }
        }

        let taskSleepGroup = Fixture<RingGroup>()
        Benchmark("Task-sleep-\(name)-from-ring") { benchmark in
            let ring = taskSleepGroup.value.rings[0]
            try await withTaskExecutorPreference(ring) {
                for _ in benchmark.scaledIterations {
                    try await Task.sleep(for: duration)
                }
            }
        } setup: {
            try await taskSleepGroup.setUp { try RingGroup(numberOfRings: 1) }
        } teardown: {
            await taskSleepGroup.tearDown { await $0.shutdown() }
        }
    }
}
