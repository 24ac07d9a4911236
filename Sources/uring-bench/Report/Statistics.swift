/// Repetitions of one figure (failed ones left out): their median and how far they spread
/// around it. The report draws it; `compare` judges a change against it.
struct Spread: Codable, Equatable, Sendable {
    /// Every value, in the order of the repetitions.
    var values: [Double]
    var median: Double
    var minimum: Double
    var maximum: Double

    /// nil for no value.
    init?(_ values: [Double]) {
        guard let median = uring_bench.median(values), let minimum = values.min(), let maximum = values.max() else {
            return nil
        }
        self.values = values
        self.median = median
        self.minimum = minimum
        self.maximum = maximum
    }

    /// The range as a share of the median (0.08: the runs lie within 8% of it), or nil for
    /// a zero median.
    var relativeRange: Double? { median == 0 ? nil : (maximum - minimum) / median }

    /// How many repetitions the figures come from.
    var count: Int { values.count }

    /// Half the range over the median (0.03: the repetitions lie within about +-3% of it); 0
    /// for a single repetition, whose noise the run cannot show. The half-range rather than
    /// the median absolute deviation: with the 3 to 5 repetitions a benchmark affords, the MAD
    /// of 3 values ignores the farthest one, and a gate should rather miss a change than
    /// flag noise.
    var relativeSpread: Double { (relativeRange ?? 0) / 2 }

    /// Whether every repetition of one run lies above or below every repetition of the other.
    func isSeparated(from other: Spread) -> Bool {
        maximum < other.minimum || other.maximum < minimum
    }
}
