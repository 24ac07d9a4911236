import Testing

@testable import uring_bench

/// The progress line `run` and `http-run` print before each run, and its estimate of the
/// time left.
@Suite struct RunProgressTests {
    @Test func beforeAnyRunTheEstimateIsThePlan() {
        // 3 repetitions x 4 cases x 6 servers, 1 s warm-up + 3 s, + 1 s start and stop.
        let progress = RunProgress(suite: "echo", totalRuns: 72, warmupSeconds: 1, durationSeconds: 3)
        #expect(progress.plannedSecondsPerRun == 5)
        #expect(progress.secondsLeft(elapsedSeconds: 0) == 360)
        #expect(
            progress.line(server: "async-uring", caseName: "50:64", repetition: 1, of: 3, elapsedSeconds: 0)
                == "progress: echo server async-uring case 50:64 repetition 1/3, about 6 min left "
                + "(run 1/72: 1s warm-up + 3s)"
        )
    }

    @Test func afterRunsTheEstimateIsThePaceSoFar() {
        var progress = RunProgress(suite: "http", totalRuns: 10, warmupSeconds: 1, durationSeconds: 5)
        for _ in 0..<4 { progress.runFinished() }
        // 4 runs took 32 s: 8 s each, 6 left.
        #expect(progress.secondsLeft(elapsedSeconds: 32) == 48)
        #expect(
            progress.line(server: "nginx", caseName: "c64", repetition: 2, of: 2, elapsedSeconds: 32)
                == "progress: http server nginx case c64 repetition 2/2, about 48 s left (run 5/10: 1s warm-up + 5s)"
        )
        for _ in 0..<6 { progress.runFinished() }
        #expect(progress.secondsLeft(elapsedSeconds: 80) == 0)
    }

    @Test(arguments: [
        (0.0, "about 0 s"), (41.2, "about 42 s"), (119, "about 119 s"), (120, "about 2 min"), (601, "about 11 min"),
    ])
    func timeLeftIsInSecondsThenMinutes(seconds: Double, text: String) {
        #expect(RunProgress.describe(secondsLeft: seconds) == text)
    }
}
