import Glibc
import Logging
import Synchronization

/// A set of rings, one thread each, handed out round-robin.
///
/// ``shared`` is a process-wide group with one ring per CPU the process may run on,
/// started on first use, so simple programs need no set-up.
public final class RingGroup: Sendable {
    /// The rings of this group.
    public let rings: [Ring]
    private let nextIndex = Atomic<Int>(0)

    /// Starts `numberOfRings` rings.
    /// - Parameters:
    ///   - numberOfRings: defaults to the number of CPUs this process may run on
    ///     (`sched_getaffinity`, so `taskset -c 0` gives one ring).
    ///   - configuration: how each ring sets up its io_uring instance.
    ///   - logger: for what an operator must see (a set-up falling back from a flag) and,
    ///     at debug level, rings starting and stopping.
    /// - Throws: ``RingError`` when io_uring is unavailable, or with `EINVAL` for fewer than
    ///   one ring or an invalid configuration.
    public init(
        numberOfRings: Int = RingGroup.availableCPUCount,
        configuration: RingConfiguration = .default,
        logger: Logger = Logger(label: "AsyncUring")
    ) throws(RingError) {
        guard numberOfRings > 0 else {
            throw RingError(operation: "ring group", errno: .invalidArgument, detail: "numberOfRings \(numberOfRings)")
        }
        try configuration.validate()
        var rings: [Ring] = []
        for index in 0..<numberOfRings {
            do {
                rings.append(try Ring(index: index, configuration: configuration, logger: logger))
            } catch {
                for ring in rings { ring.shutdownDetached() }
                throw error
            }
        }
        self.rings = rings
    }

    /// The next ring, round-robin.
    public func next() -> Ring {
        let index = nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue
        return rings[index % rings.count]
    }

    /// The ring whose thread is the caller's, if any.
    public var current: Ring? { rings.first { $0.isCurrentThread } }

    /// Stops every ring (see ``Ring/shutdown()``) and waits for their threads to end.
    public func shutdown() async {
        await withDiscardingTaskGroup { group in
            for ring in rings { group.addTask { await ring.shutdown() } }
        }
    }

    private static let sharedGroup = Result { () throws(RingError) in try RingGroup() }

    /// The process-wide group: one ring per available CPU, started on first use and never
    /// stopped.
    /// - Throws: ``RingError`` when io_uring is unavailable on this system.
    public static var shared: RingGroup {
        get throws(RingError) { try sharedGroup.get() }
    }

    /// The number of CPUs this process may run on: the `Cpus_allowed` mask of
    /// /proc/self/status (so `taskset -c 0` gives 1), else the online CPUs.
    public static var availableCPUCount: Int {
        let online = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        guard let file = fopen("/proc/self/status", "r") else { return online }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            guard text.hasPrefix("Cpus_allowed:") else { continue }
            let count = text.dropFirst("Cpus_allowed:".count)
                .compactMap { $0.hexDigitValue }
                .reduce(0) { $0 + $1.nonzeroBitCount }
            return count > 0 ? count : online
        }
        return online
    }
}

extension Ring {
    /// Starts shutting the ring down without waiting for its thread to end.
    func shutdownDetached() {
        Task { await shutdown() }
    }
}
