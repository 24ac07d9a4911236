import Foundation
import Testing

@testable import uring_bench

/// The pieces the report is made of: axes, number formats, statistics, and what the
/// conditions and the interference are read from.
@Suite struct ReportPartsTests {
    @Test(
        arguments: [
            (138_462.0, 150_000.0, [0.0, 50_000, 100_000, 150_000]),
            (9.0, 10.0, [0.0, 2, 4, 6, 8, 10]),
            (0.0, 1.0, [0.0, 0.5, 1]),
        ]
    )
    func linearAxis(value: Double, maximum: Double, ticks: [Double]) {
        let axis = LinearAxis(upTo: value, tickCount: value == 138_462 ? 3 : 5)
        #expect(axis.maximum == maximum)
        #expect(axis.ticks == ticks)
        #expect(axis.fraction(maximum / 2) == 0.5)
    }

    @Test func logAxisCoversTheDataWithRoundEnds() {
        let axis = LogAxis(covering: [23.8, 348, 1_450_000])
        #expect(axis.lower == 20)
        #expect(axis.upper == 2_000_000)
        // Crowded: powers of ten only.
        #expect(axis.ticks == [100, 1000, 10_000, 100_000, 1_000_000])
        let narrow = LogAxis(covering: [401, 1080])
        #expect(narrow.lower == 200 && narrow.upper == 2000)
        #expect(narrow.ticks == [200, 500, 1000, 2000])
        let single = LogAxis(covering: [500])
        #expect(single.lower < 500 && single.upper > 500)
        #expect(abs(single.fraction(500) - 0.5) < 0.3)
    }

    @Test func ninesAxisSpacesTheNinesEvenly() {
        let axis = NinesAxis(covering: [50, 75, 90, 99])
        #expect(axis.ticks == [50, 90, 99, 99.9])
        #expect(axis.fraction(50) == 0)
        #expect(abs(axis.fraction(99.9) - 1) < 1e-9)
        let step = axis.fraction(99) - axis.fraction(90)
        #expect(abs(axis.fraction(99.9) - axis.fraction(99) - step) < 1e-9)
    }

    @Test(
        arguments: [
            (138_462.0, "138k"), (19_900, "19.9k"), (1_282_053, "1.28M"), (950, "950"), (7.17, "7.17"),
            (0.736, "0.736"),
            (999_700, "1.00M"),
        ]
    )
    func compactNumbers(value: Double, text: String) {
        #expect(ReportFormat.compact(value) == text)
    }

    @Test func otherFormats() {
        #expect(ReportFormat.grouped(138_462.4) == "138,462")
        #expect(ReportFormat.grouped(950) == "950")
        #expect(ReportFormat.grouped(1_282_053) == "1,282,053")
        #expect(ReportFormat.duration(microseconds: 25.3) == "25.3 µs")
        #expect(ReportFormat.duration(microseconds: 1430) == "1.43 ms")
        #expect(ReportFormat.duration(microseconds: 1_450_000) == "1.45 s")
        #expect(ReportFormat.ratio(0.934) == "0.93x")
        #expect(ReportFormat.percent(0.012) == "1.2%")
        #expect(ReportFormat.percentile(99.9) == "p99.9")
        #expect(ReportFormat.percentile(50) == "p50")
    }

    @Test func spreadIgnoresOrderAndKeepsTheValues() throws {
        let spread = try #require(Spread([3, 1, 2, 10]))
        #expect(spread.median == 2.5)
        #expect(spread.minimum == 1 && spread.maximum == 10)
        #expect(spread.values == [3, 1, 2, 10])
        #expect(spread.relativeRange == 9 / 2.5)
        #expect(Spread([]) == nil)
    }

    static let procStat = """
        cpu  962851 0 223949 1601874 168938 0 54900 819 0 0
        cpu0 467857 0 108803 818610 83585 0 27708 388 0 0
        cpu1 494994 0 115145 783263 85352 0 27192 430 0 0
        intr 1 2 3
        """

    @Test func cpuTimesOfProcStat() throws {
        let all = try #require(InterferenceSample.cpuTimes(fromProcStat: Self.procStat, cpus: nil, ticksPerSecond: 100))
        #expect(all.busy == (962_851 + 223_949) * 1e4)
        #expect(all.steal == 819 * 1e4)
        let one = try #require(InterferenceSample.cpuTimes(fromProcStat: Self.procStat, cpus: [1], ticksPerSecond: 100))
        #expect(one.busy == (494_994 + 115_145) * 1e4)
        #expect(InterferenceSample.cpuTimes(fromProcStat: Self.procStat, cpus: [0, 7]) == nil)
    }

    @Test func interferenceIsOthersShareOfOneCPU() throws {
        let start = InterferenceSample(busyMicroseconds: 0, stealMicroseconds: 0, ownMicroseconds: 0, time: 0)
        // Two seconds: the CPUs were busy 2.2 s, of which 2 s were ours.
        let end = InterferenceSample(
            busyMicroseconds: 2_200_000,
            stealMicroseconds: 100_000,
            ownMicroseconds: 2_000_000,
            time: 2_000_000
        )
        let delta = try #require(end.since(start))
        #expect(abs(delta.interference - 0.1) < 1e-12)
        #expect(abs(delta.steal - 0.05) < 1e-12)
        var quiet = end
        quiet.busyMicroseconds = 1_900_000
        #expect(quiet.since(start)?.interference == 0)
    }

    @Test func ownCPUTimeCountsReapedChildren() throws {
        let stat = "4242 (uring bench) S 1 4242 4242 0 -1 4194304 100 0 0 0 150 50 30 20 20 0 3 0 100 0 0"
        #expect(InterferenceSample.microsecondsWithChildren(fromStat: stat, ticksPerSecond: 100) == 250 * 1e4)
        let sample = try #require(InterferenceSample.take(cpus: nil))
        #expect(sample.ownMicroseconds > 0)
    }

    @Test func conditionsFromCPUInfo() {
        let text = "processor\t: 0\nmodel name\t: AMD EPYC 9B14\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 9B14\n"
        #expect(RunConditions.cpuModel(fromCPUInfo: text) == "AMD EPYC 9B14")
        #expect(RunConditions.cpuCount(fromCPUInfo: text) == 2)
        #expect(RunConditions.cpuModel(fromCPUInfo: "processor : 0\n") == nil)
    }

    @Test(.timeLimit(.minutes(1))) func conditionsOfThisMachine() async {
        let conditions = await RunConditions.current(pinning: CPUPinning(tasksetPath: nil))
        #expect(conditions.kernel.hasPrefix("Linux "))
        #expect(conditions.cpuCount >= 1)
        #expect(conditions.swiftVersion.contains("Swift"))
        #expect(conditions.serverCPUs == "unpinned")
        #expect(conditions.date.hasSuffix("Z"))
    }
}
