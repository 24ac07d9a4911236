import Foundation

/// A linear axis from zero to a round maximum, with round ticks (1, 2, 2.5 or 5 times a
/// power of ten apart).
struct LinearAxis: Equatable, Sendable {
    var maximum: Double
    var ticks: [Double]

    /// An axis that reaches at least `value`, with about `tickCount` steps.
    init(upTo value: Double, tickCount: Int = 5) {
        guard value > 0, value.isFinite else {
            maximum = 1
            ticks = [0, 0.5, 1]
            return
        }
        let rawStep = value / Double(max(1, tickCount))
        let power = pow(10, floor(log10(rawStep)))
        let step = [1, 2, 2.5, 5, 10].map { $0 * power }.first { $0 >= rawStep * (1 - 1e-9) } ?? 10 * power
        maximum = (value / step).rounded(.up) * step
        ticks = (0...Int((maximum / step).rounded())).map { Double($0) * step }
    }

    /// Where `value` lies, from 0 (zero) to 1 (the maximum).
    func fraction(_ value: Double) -> Double { min(1, max(0, value / maximum)) }
}

/// A logarithmic axis between round values (1, 2 or 5 times a power of ten) that cover the
/// data, ticked at those round values (at powers of ten alone when they would crowd).
struct LogAxis: Equatable, Sendable {
    var lower: Double
    var upper: Double
    var ticks: [Double]

    /// An axis covering every positive value in `values` (1 to 10 when there is none).
    init(covering values: [Double]) {
        let positive = values.filter { $0 > 0 && $0.isFinite }
        guard let low = positive.min(), let high = positive.max() else {
            self.init(lower: 1, upper: 10)
            return
        }
        let candidates = Self.roundValues(from: low / 10, to: high * 10)
        var lower = candidates.last { $0 <= low * (1 + 1e-9) } ?? low
        var upper = candidates.first { $0 >= high * (1 - 1e-9) } ?? high
        if lower == upper {
            lower = candidates.last { $0 < lower } ?? lower / 2
            upper = candidates.first { $0 > upper } ?? upper * 2
        }
        self.init(lower: lower, upper: upper)
    }

    private init(lower: Double, upper: Double) {
        self.lower = lower
        self.upper = upper
        let all = Self.roundValues(from: lower, to: upper)
        let decades = all.filter { abs(log10($0) - log10($0).rounded()) < 1e-9 }
        ticks = all.count > 7 && decades.count >= 2 ? decades : all
    }

    /// Where `value` lies, from 0 (the lower end) to 1 (the upper end).
    func fraction(_ value: Double) -> Double {
        guard value > 0 else { return 0 }
        return min(1, max(0, (log10(value) - log10(lower)) / (log10(upper) - log10(lower))))
    }

    /// 1, 2 and 5 times the powers of ten from `low` to `high`, ascending.
    static func roundValues(from low: Double, to high: Double) -> [Double] {
        let first = Int(floor(log10(low)))
        let last = Int(ceil(log10(high)))
        let lowest = low * (1 - 1e-9)
        let highest = high * (1 + 1e-9)
        var values: [Double] = []
        for exponent in first...max(first, last) {
            let power: Double = pow(10, Double(exponent))
            for mantissa: Double in [1, 2, 5] where mantissa * power >= lowest && mantissa * power <= highest {
                values.append(mantissa * power)
            }
        }
        return values
    }
}

/// The "nines" axis of latency percentiles: a percentile p lies at -log10(1 - p/100), so
/// p50, p90, p99 and p99.9 are evenly apart from p90 on.
struct NinesAxis: Equatable, Sendable {
    var lower: Double
    var upper: Double
    /// The percentiles labelled.
    var ticks: [Double]

    /// From p50 to p99.9, or further when `percentiles` go further.
    init(covering percentiles: [Double]) {
        let highest = max(99.9, percentiles.filter { $0 < 100 }.max() ?? 99.9)
        lower = Self.nines(50)
        upper = Self.nines(highest)
        ticks = [50, 90, 99, 99.9, 99.99, 99.999].filter { $0 <= highest + 1e-9 }
    }

    static func nines(_ percentile: Double) -> Double { -log10(1 - min(percentile, 99.9999) / 100) }

    /// Where `percentile` lies, from 0 (p50) to 1 (the highest).
    func fraction(_ percentile: Double) -> Double {
        min(1, max(0, (Self.nines(percentile) - lower) / (upper - lower)))
    }
}
