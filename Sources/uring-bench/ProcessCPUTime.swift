import AsyncUring
import Foundation

/// CPU time a process has used: utime + stime of all its threads, from `/proc/PID/stat`.
enum ProcessCPUTime {
    /// Microseconds of CPU time `pid` used so far, or nil when it cannot be read (the
    /// process is gone).
    static func microseconds(of pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return nil }
        return microseconds(fromStat: stat)
    }

    /// Parses a `/proc/PID/stat` line: after the `(comm)` field, which may hold spaces and
    /// parentheses, come state (field 3) ... utime (14) and stime (15), in clock ticks.
    static func microseconds(fromStat stat: String, ticksPerSecond: Int = clockTicksPerSecond) -> Double? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]), ticksPerSecond > 0
        else { return nil }
        return (user + system) * 1e6 / Double(ticksPerSecond)
    }

    /// `sysconf(_SC_CLK_TCK)`, usually 100.
    static let clockTicksPerSecond = max(1, sysconf(Int32(_SC_CLK_TCK)))
}

/// Samples a process's CPU time at two moments, from any thread.
final class CPUTimeSampler: Sendable {
    let pid: Int32
    private let samples = Locked<(start: Double?, end: Double?)>((nil, nil))

    init(pid: Int32) { self.pid = pid }

    func sampleStart() { samples.withLock { $0.start = ProcessCPUTime.microseconds(of: pid) } }
    func sampleEnd() { samples.withLock { $0.end = ProcessCPUTime.microseconds(of: pid) } }

    /// CPU microseconds between the two samples, divided by `roundTrips`.
    func microsecondsPerRoundTrip(_ roundTrips: Int) -> Double? {
        let (start, end) = samples.withLock { $0 }
        guard let start, let end, roundTrips > 0 else { return nil }
        return (end - start) / Double(roundTrips)
    }
}
