/// One run's figures for one server, case and metric, over its good repetitions: the median
/// and how far the repetitions spread around it.
struct RunSpread: Codable, Equatable, Sendable {
    /// How many repetitions the figures come from (failed ones left out).
    var count: Int
    var median: Double
    var minimum: Double
    var maximum: Double

    /// - Returns: nil when `values` is empty.
    init?(_ values: [Double]) {
        guard let median = uring_bench.median(values), let minimum = values.min(), let maximum = values.max() else {
            return nil
        }
        self.count = values.count
        self.median = median
        self.minimum = minimum
        self.maximum = maximum
    }

    /// Half the range over the median (0.03: the repetitions lie within about +-3% of it); 0
    /// for a single repetition, whose noise the run cannot show. The half-range rather than
    /// the median absolute deviation: with the 3 to 5 repetitions a benchmark affords, the MAD
    /// of 3 values ignores the farthest one, and a gate should rather miss a change than
    /// flag noise.
    var relativeSpread: Double {
        guard median > 0 else { return 0 }
        return (maximum - minimum) / 2 / median
    }

    /// Whether every repetition of one run lies above or below every repetition of the other.
    func isSeparated(from other: RunSpread) -> Bool {
        maximum < other.minimum || other.maximum < minimum
    }
}
