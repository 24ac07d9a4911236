import Foundation

/// What the machine's CPUs and the runner's own processes had used at one moment; two
/// samples give the interference of what ran between them: CPU time of every other process
/// on the CPUs the run uses, and the hypervisor's steal.
struct InterferenceSample: Sendable, Equatable {
    /// Microseconds the CPUs spent in user and system mode (`user + nice + system` of
    /// /proc/stat).
    var busyMicroseconds: Double
    /// Microseconds the hypervisor ran other guests while these CPUs wanted to run
    /// (`steal`).
    var stealMicroseconds: Double
    /// CPU microseconds of the runner, its reaped children and its live descendants (the
    /// server and the load generator).
    var ownMicroseconds: Double
    /// When the sample was taken, in microseconds of the monotonic clock.
    var time: Double

    /// What two samples mean: shares of one CPU over the time between them.
    struct Delta: Sendable, Equatable {
        var interference: Double
        var steal: Double
    }

    /// Takes a sample now.
    /// - Parameter cpus: the CPUs the run uses (the pinned server and load CPUs), or nil
    ///   for all of them.
    /// - Returns: nil when /proc cannot be read.
    static func take(cpus: [Int]?) -> InterferenceSample? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let times = cpuTimes(fromProcStat: stat, cpus: cpus),
            let own = ownMicroseconds()
        else { return nil }
        return InterferenceSample(
            busyMicroseconds: times.busy,
            stealMicroseconds: times.steal,
            ownMicroseconds: own,
            time: Double(MonotonicClock.now()) / 1e3
        )
    }

    /// The shares of one CPU other processes and the hypervisor took from `start` to this
    /// sample. Interrupt time is left out of both sides: most of it is the run's own loopback
    /// traffic, which the kernel may not charge to any process. Clock ticks make both
    /// figures coarse (10 ms a tick), and a negative difference reads as none.
    func since(_ start: InterferenceSample) -> Delta? {
        let elapsed = time - start.time
        guard elapsed > 0 else { return nil }
        let others = (busyMicroseconds - start.busyMicroseconds) - (ownMicroseconds - start.ownMicroseconds)
        return Delta(
            interference: max(0, others) / elapsed,
            steal: max(0, stealMicroseconds - start.stealMicroseconds) / elapsed
        )
    }

    /// Busy and steal microseconds of the `cpuN` lines for `cpus` in /proc/stat text, or of
    /// the `cpu` line of all CPUs when `cpus` is nil.
    static func cpuTimes(
        fromProcStat stat: String,
        cpus: [Int]?,
        ticksPerSecond: Int = ProcessCPUTime.clockTicksPerSecond
    ) -> (busy: Double, steal: Double)? {
        let wanted = Set((cpus ?? []).map { "cpu\($0)" })
        var busy = 0.0
        var steal = 0.0
        var found = 0
        for line in stat.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let name = fields.first, cpus == nil ? name == "cpu" : wanted.contains(String(name)) else {
                continue
            }
            // cpu user nice system idle iowait irq softirq steal guest guest_nice (proc(5)).
            let values = fields.dropFirst().compactMap { Double($0) }
            guard values.count >= 8 else { return nil }
            busy += values[0] + values[1] + values[2]
            steal += values[7]
            found += 1
        }
        guard found == max(1, wanted.count) else { return nil }
        let scale = 1e6 / Double(ticksPerSecond)
        return (busy * scale, steal * scale)
    }

    /// CPU microseconds of this process (with its reaped children's, `cutime` and
    /// `cstime`) and of every live descendant.
    static func ownMicroseconds() -> Double? {
        let pid = getpid()
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let own = microsecondsWithChildren(fromStat: stat)
        else { return nil }
        return ProcessCPUTime.descendants(of: pid).reduce(own) { sum, child in
            sum + (ProcessCPUTime.microseconds(of: child) ?? 0)
        }
    }

    /// utime + stime + cutime + cstime (fields 14 to 17) of a `/proc/PID/stat` line.
    static func microsecondsWithChildren(
        fromStat stat: String,
        ticksPerSecond: Int = ProcessCPUTime.clockTicksPerSecond
    ) -> Double? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 14 else { return nil }
        let ticks = fields[11...14].compactMap { Double($0) }
        guard ticks.count == 4 else { return nil }
        return ticks.reduce(0, +) * 1e6 / Double(ticksPerSecond)
    }
}
