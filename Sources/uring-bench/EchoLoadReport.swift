import Foundation

/// What one `echo-client` run measured: the text report, the JSON object and the closing
/// `RESULT` line all come from it.
struct EchoLoadReport: Codable, Equatable, Sendable {
    var roundTrips: Int
    var roundTripsIncludingWarmup: Int
    var roundTripsPerSecond: Double
    var megabytesPerSecond: Double
    var p50Microseconds: Double
    var p90Microseconds: Double
    var p99Microseconds: Double
    var p999Microseconds: Double
    var maxMicroseconds: Double
    var errors: Int
    var stalled: Int
    var failedConnections: Int
    /// The server's CPU time per round trip, when its PID was given.
    var serverMicrosecondsPerRoundTrip: Double?

    /// A run succeeded when round trips completed and nothing failed.
    var isSuccess: Bool { roundTrips > 0 && errors == 0 && stalled == 0 && failedConnections == 0 }

    /// The last line of `echo-client`'s output, one `key=value` per figure. The first five
    /// keys are the ones every load generator reports; as in the C load generator's line,
    /// `errors` counts resets, early closes and wrong bytes, `stalled` and `conn_failed` the
    /// rest.
    var resultLine: String {
        var fields: [(String, String)] = [
            ("rps", ResultLine.format(roundTripsPerSecond, decimals: 0)),
            ("p50_us", ResultLine.format(p50Microseconds)),
            ("p99_us", ResultLine.format(p99Microseconds)),
            ("p999_us", ResultLine.format(p999Microseconds)),
            ("errors", "\(errors)"),
            ("mbps", ResultLine.format(megabytesPerSecond)),
            ("p90_us", ResultLine.format(p90Microseconds)),
            ("max_us", ResultLine.format(maxMicroseconds)),
            ("conn_failed", "\(failedConnections)"),
            ("stalled", "\(stalled)"),
            ("round_trips", "\(roundTrips)"),
            ("round_trips_all", "\(roundTripsIncludingWarmup)"),
        ]
        if let serverMicrosecondsPerRoundTrip {
            fields.append(("srv_us_per_rt", ResultLine.format(serverMicrosecondsPerRoundTrip, decimals: 2)))
        }
        return ResultLine.make(fields)
    }

    /// The human-readable lines printed before the JSON and `RESULT` lines.
    func textLines(connections: Int, size: Int, warmupSeconds: Double, durationSeconds: Double) -> [String] {
        var lines = [
            "echo-client: conns=\(connections) size=\(size) warmup=\(warmupSeconds)s duration=\(durationSeconds)s",
            "round trips: \(roundTrips) measured (\(roundTripsIncludingWarmup) incl. warm-up), "
                + "\(ResultLine.format(roundTripsPerSecond, decimals: 0))/s, \(ResultLine.format(megabytesPerSecond)) MB/s each way",
            "latency us: p50 \(ResultLine.format(p50Microseconds))  p90 \(ResultLine.format(p90Microseconds))  "
                + "p99 \(ResultLine.format(p99Microseconds))  p99.9 \(ResultLine.format(p999Microseconds))  "
                + "max \(ResultLine.format(maxMicroseconds))",
            "errors \(errors) (resets, closes, mismatches), stalled \(stalled), conn_failed \(failedConnections)",
        ]
        if let serverMicrosecondsPerRoundTrip {
            lines.append("server cpu: \(ResultLine.format(serverMicrosecondsPerRoundTrip, decimals: 2)) us/round trip")
        }
        return lines
    }

    /// The report as one line of JSON, keys sorted.
    func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
