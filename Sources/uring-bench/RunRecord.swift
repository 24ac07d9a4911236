/// One measured run: a server under one case's load in one repetition. `--json FILE`
/// writes all of them.
struct RunRecord: Codable, Equatable, Sendable {
    var server: String
    var connections: Int
    var size: Int
    var repetition: Int
    var loadgen: String
    var roundTripsPerSecond: Double
    var p50Microseconds: Double
    var p99Microseconds: Double
    var p999Microseconds: Double
    var errors: Int
    /// UDP only: datagrams the load generator gave up on after 100 ms (`lost`).
    var lost: Int?
    /// The server's CPU time per round trip, and who measured it ("loadgen" or "runner").
    var serverMicrosecondsPerRoundTrip: Double?
    var serverCPUSource: String?
    var loadgenExitStatus: Int32?
    /// Every numeric field of the load generator's `RESULT` line.
    var result: [String: Double]
    /// Other processes' CPU time and the hypervisor's steal while the load ran, as shares of
    /// one CPU (``InterferenceSample``).
    var interference: Double?
    var steal: Double?

    var benchCase: BenchCase { BenchCase(connections: connections, size: size) }

    /// A run counts when the generator exited 0 and reported no error.
    var isSuccess: Bool { loadgenExitStatus == 0 && errors == 0 && !result.isEmpty }

    /// Whether failed runs fail `run`: a run of a server built on this package (or one the
    /// runner does not know) does.
    static func failsTheCommand(_ failed: [RunRecord]) -> Bool {
        failed.contains { ServerKind(rawValue: $0.server)?.isBuiltOnThisPackage ?? true }
    }

    /// Builds the record from a load outcome. When the generator reported no server CPU
    /// time, `runnerServerCPU` (CPU microseconds used by the server from just before the
    /// load started until it ended) is spread over all round trips of the run, warm-up
    /// included (`round_trips_all`, else estimated from `rps`).
    init(
        server: String,
        benchCase: BenchCase,
        repetition: Int,
        loadgen: LoadgenKind,
        outcome: LoadOutcome,
        runnerServerCPU: Double?,
        warmupSeconds: Double,
        durationSeconds: Double
    ) {
        let fields = outcome.fields ?? [:]
        self.server = server
        self.connections = benchCase.connections
        self.size = benchCase.size
        self.repetition = repetition
        self.loadgen = loadgen.rawValue
        self.roundTripsPerSecond = fields["rps"] ?? 0
        self.p50Microseconds = fields["p50_us"] ?? 0
        self.p99Microseconds = fields["p99_us"] ?? 0
        self.p999Microseconds = fields["p999_us"] ?? 0
        // TCP generators count `errors`; udp_loadgen counts replies that came back wrong as
        // `bad`. A result with neither counts as one error.
        let reported = fields["errors"] ?? fields["bad"] ?? 1
        self.errors = Int(reported) + Int(fields["stalled"] ?? 0) + Int(fields["conn_failed"] ?? 0)
        self.lost = fields["lost"].map { Int($0) }
        self.loadgenExitStatus = outcome.exitStatus
        self.result = fields
        if let reported = fields["srv_us_per_rt"], reported >= 0 {
            serverMicrosecondsPerRoundTrip = reported
            serverCPUSource = "loadgen"
        } else if let runnerServerCPU {
            let allRoundTrips = fields["round_trips_all"] ?? roundTripsPerSecond * (warmupSeconds + durationSeconds)
            serverMicrosecondsPerRoundTrip = allRoundTrips > 0 ? runnerServerCPU / allRoundTrips : nil
            serverCPUSource = serverMicrosecondsPerRoundTrip == nil ? nil : "runner"
        }
    }
}
