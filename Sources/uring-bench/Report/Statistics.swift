/// The few statistics the report draws.
enum Statistics {
    /// The middle value, or the mean of the two middle ones; nil for no value.
    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// Repetitions of one figure: their median and range.
struct Spread: Equatable, Sendable {
    /// Every value, in the order of the repetitions.
    var values: [Double]
    var median: Double
    var minimum: Double
    var maximum: Double

    /// nil for no value.
    init?(_ values: [Double]) {
        guard let median = Statistics.median(values), let minimum = values.min(), let maximum = values.max() else {
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
}
