import Histogram

/// Latencies above this are recorded as this (10 s, in nanoseconds).
let highestRecordedLatency: UInt64 = 10_000_000_000

/// The counts and latency histogram of a ring's connections in the load generator.
struct ConnectionTally: Sendable {
    /// Round-trip latencies in nanoseconds, after warm-up only. Two significant digits keep
    /// a histogram near 30 KB.
    var latencies = Histogram<UInt64>(
        lowestDiscernibleValue: 1,
        highestTrackableValue: highestRecordedLatency,
        numberOfSignificantValueDigits: .two
    )
    var roundTripsIncludingWarmup = 0
    var errors = 0
    var stalled = 0
    var firstError: String?

    mutating func record(nanoseconds: UInt64) {
        latencies.record(min(nanoseconds, highestRecordedLatency))
    }

    /// Counts a failed round trip: a cancelled one is a connection that stalled (no echo
    /// in time), any other an error (reset, early close, wrong bytes).
    mutating func recordError(_ error: any Error) {
        if error is CancellationError {
            stalled += 1
            firstError = firstError ?? "no echo within the run's time (stalled)"
        } else {
            errors += 1
            firstError = firstError ?? "\(error)"
        }
    }
}

/// Every connection's tallies merged, and the connections that failed to open.
struct EchoLoadTally: Sendable {
    var latencies = ConnectionTally().latencies
    var roundTripsIncludingWarmup = 0
    var errors = 0
    var stalled = 0
    var failedConnections = 0
    var firstError: String?

    var roundTrips: Int { Int(latencies.totalCount) }

    mutating func merge(_ connection: ConnectionTally) {
        latencies.add(connection.latencies)
        roundTripsIncludingWarmup += connection.roundTripsIncludingWarmup
        errors += connection.errors
        stalled += connection.stalled
        firstError = firstError ?? connection.firstError
    }

    mutating func merge(_ other: EchoLoadTally) {
        latencies.add(other.latencies)
        roundTripsIncludingWarmup += other.roundTripsIncludingWarmup
        errors += other.errors
        stalled += other.stalled
        failedConnections += other.failedConnections
        firstError = firstError ?? other.firstError
    }

    mutating func recordFailedConnection(_ error: any Error) {
        failedConnections += 1
        firstError = firstError ?? "connect failed: \(error)"
    }

    /// The summary `echo-client` prints, for a run of `durationSeconds` measured seconds.
    func report(size: Int, durationSeconds: Double, serverMicrosecondsPerRoundTrip: Double?) -> EchoLoadReport {
        let rps = durationSeconds > 0 ? Double(roundTrips) / durationSeconds : 0
        func microseconds(_ percentile: Double) -> Double {
            roundTrips == 0 ? 0 : Double(latencies.valueAtPercentile(percentile)) / 1000
        }
        return EchoLoadReport(
            roundTrips: roundTrips,
            roundTripsIncludingWarmup: roundTripsIncludingWarmup,
            roundTripsPerSecond: rps,
            megabytesPerSecond: rps * Double(size) / 1e6,
            p50Microseconds: microseconds(50),
            p90Microseconds: microseconds(90),
            p99Microseconds: microseconds(99),
            p999Microseconds: microseconds(99.9),
            maxMicroseconds: roundTrips == 0 ? 0 : Double(latencies.max) / 1000,
            errors: errors,
            stalled: stalled,
            failedConnections: failedConnections,
            serverMicrosecondsPerRoundTrip: serverMicrosecondsPerRoundTrip
        )
    }
}
