/// The figures of one benchmark run over any number of suites, in one shape for every suite:
/// what `--report` draws and `compare` compares. Each suite's runner keeps its own raw
/// records too (`--json`); these are made from them.
struct BenchResults: Codable, Equatable, Sendable {
    /// The format's version; readers refuse one they do not know.
    var version = 1
    var conditions: RunConditions
    var suites: [SuiteResults]
}

/// Where and how a run was measured.
struct RunConditions: Codable, Equatable, Sendable {
    /// When the run started, ISO 8601.
    var date: String
    /// `uname -srvm`.
    var kernel: String
    /// `model name` of /proc/cpuinfo, and how many CPUs the machine has.
    var cpuModel: String
    var cpuCount: Int
    /// `swift --version`'s first line.
    var swiftVersion: String
    /// The CPU list the servers were pinned to, and the one the load ran on (`taskset -c`).
    var serverCPUs: String
    var loadCPUs: String
    /// CPU time other processes (neither the server nor the load) used while the run was
    /// measured, as a share of one CPU (0.05: 5%): the interference the figures carry.
    var interference: Double?
    /// CPU time the hypervisor gave to other guests while the run was measured (`steal` of
    /// /proc/stat), as a share of one CPU; nil when not measured.
    var steal: Double? = nil
    /// The git commit the servers were built from, when known.
    var commit: String?

    /// "server on CPU 0, load on CPU 1", or why nothing was pinned.
    var pinningText: String {
        serverCPUs == "unpinned"
            ? "none (fewer than 2 CPUs, or no taskset)" : "server on CPU \(serverCPUs), load on CPU \(loadCPUs)"
    }
}

/// One suite's measurements: every server in every case and repetition.
struct SuiteResults: Codable, Equatable, Sendable {
    /// "echo", "http", "resp", "udp", "file".
    var name: String
    /// What `throughput` counts, per second: "round trips", "requests", "IOPS".
    var throughputUnit: String
    /// What `cpuMicroseconds` is per: "round trip", "request", "read"; nil when the suite
    /// does not measure server CPU.
    var costUnit: String?
    /// The server every other is set against (the C yardstick, nginx, redis-server, fio).
    var yardstick: String?
    /// The cases in the order they were run, e.g. "50:64", "c256p16", "get -P 16", "depth 32".
    var cases: [String]
    var measurements: [Measurement]
    /// How this suite's processes were pinned, when it differs from the run's conditions
    /// (the file suite runs everything on one CPU); set when suites of several runs merge.
    var pinning: String? = nil
}

/// One server under one case's load in one repetition.
struct Measurement: Codable, Equatable, Sendable {
    var server: String
    var caseName: String
    var repetition: Int
    /// Operations per second (the suite's `throughputUnit`).
    var throughput: Double
    /// Server CPU microseconds per operation, when measured.
    var cpuMicroseconds: Double?
    /// Latency percentiles in microseconds, by percentile (50, 90, 99, 99.9, ...), ascending.
    var latency: [LatencyPoint]
    /// Why the run does not count (errors, a crash); nil for a good run. Failed runs are
    /// shown, never averaged.
    var failure: String?
    /// Other processes' CPU time and the hypervisor's steal during this run, as shares of
    /// one CPU (see ``RunConditions``), when measured.
    var interference: Double? = nil
    var steal: Double? = nil
}

struct LatencyPoint: Codable, Equatable, Sendable {
    var percentile: Double
    var microseconds: Double
}
