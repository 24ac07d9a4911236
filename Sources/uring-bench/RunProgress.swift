/// How far a runner's matrix has come and about how long it has left: the line printed
/// before each run, `progress: echo server async-uring case 50:64 repetition 1/3, about
/// 5 min left (run 1/72: 1s warm-up + 3s)`.
struct RunProgress: Sendable {
    /// The suite the runner measures: "echo", "udp", "http".
    let suite: String
    let totalRuns: Int
    /// What one run should take: its warm-up and measured seconds and the server's start and
    /// stop (``startStopSeconds``). The estimate until a run has finished.
    let plannedSecondsPerRun: Double
    /// "1s warm-up + 3s", shown with each run.
    let runShape: String
    private(set) var finishedRuns = 0

    /// What starting and stopping a server adds to a run, about.
    static let startStopSeconds = 1.0

    init(suite: String, totalRuns: Int, warmupSeconds: Double, durationSeconds: Double) {
        self.suite = suite
        self.totalRuns = totalRuns
        self.plannedSecondsPerRun = warmupSeconds + durationSeconds + Self.startStopSeconds
        self.runShape = "\(Self.format(warmupSeconds))s warm-up + \(Self.format(durationSeconds))s"
    }

    /// 1 as "1", 0.5 as "0.5".
    private static func format(_ seconds: Double) -> String {
        seconds.rounded() == seconds && abs(seconds) < 1e9 ? "\(Int(seconds))" : ResultLine.format(seconds, decimals: 1)
    }

    mutating func runFinished() { finishedRuns += 1 }

    /// Seconds until the matrix ends: the runs left at the pace so far (`elapsedSeconds` since
    /// the first run started, over the runs finished), or at the planned pace before any.
    func secondsLeft(elapsedSeconds: Double) -> Double {
        let pace = finishedRuns > 0 ? elapsedSeconds / Double(finishedRuns) : plannedSecondsPerRun
        return pace * Double(max(0, totalRuns - finishedRuns))
    }

    /// The line announcing the next run.
    func line(server: String, caseName: String, repetition: Int, of repetitions: Int, elapsedSeconds: Double) -> String
    {
        "progress: \(suite) server \(server) case \(caseName) repetition \(repetition)/\(repetitions), "
            + "\(Self.describe(secondsLeft: secondsLeft(elapsedSeconds: elapsedSeconds))) left "
            + "(run \(finishedRuns + 1)/\(totalRuns): \(runShape))"
    }

    /// "about 40 s" under two minutes, else "about 5 min" (rounded up).
    static func describe(secondsLeft seconds: Double) -> String {
        guard seconds.isFinite else { return "unknown time" }
        if seconds < 120 { return "about \(Int(seconds.rounded(.up))) s" }
        return "about \(Int((seconds / 60).rounded(.up))) min"
    }
}
