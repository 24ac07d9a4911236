import Foundation

extension ProcessCPUTime {
    /// Microseconds of CPU time used so far by `pid` and every process descended from it
    /// (nginx's master and its worker, say), or nil when `pid` itself cannot be read.
    ///
    /// The processes are those alive at the moment of the call: a descendant that ended
    /// before is left out (its time went to its parent's `cutime`, which is not counted,
    /// as the parent may not have reaped it yet). A server's processes live through a run.
    static func treeMicroseconds(of pid: Int32) -> Double? {
        guard let own = microseconds(of: pid) else { return nil }
        return descendants(of: pid).reduce(own) { sum, child in sum + (microseconds(of: child) ?? 0) }
    }

    /// The PIDs of every live process descended from `pid`, found through the parent PIDs
    /// of `/proc/*/stat` (`/proc/PID/task/TID/children` needs CONFIG_PROC_CHILDREN, which
    /// not every kernel has).
    static func descendants(of pid: Int32) -> [Int32] {
        let parents = parentsByPID()
        var found: [Int32] = []
        // A PID reused while /proc was read could make a loop; each PID is visited once.
        var visited: Set<Int32> = [pid]
        var frontier = [pid]
        while let parent = frontier.popLast() {
            let children = parents.compactMap { $0.value == parent ? $0.key : nil }.sorted()
                .filter { visited.insert($0).inserted }
            found += children
            frontier += children
        }
        return found
    }

    /// The parent PID of every process in /proc.
    static func parentsByPID() -> [Int32: Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var parents: [Int32: Int32] = [:]
        for entry in entries {
            guard let pid = Int32(entry),
                let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let parent = parentPID(fromStat: stat)
            else { continue }
            parents[pid] = parent
        }
        return parents
    }

    /// Field 4 of a `/proc/PID/stat` line, after the `(comm)` field and the state.
    static func parentPID(fromStat stat: String) -> Int32? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 1 else { return nil }
        return Int32(fields[1])
    }
}
