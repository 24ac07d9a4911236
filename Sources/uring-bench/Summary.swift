/// The median of `values` (the mean of the middle two for an even count); nil when empty.
func median(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// `value / reference`, or nil when the reference is missing or not positive.
func ratio(_ value: Double?, to reference: Double?) -> Double? {
    guard let value, let reference, reference > 0 else { return nil }
    return value / reference
}

/// One line of the summary table: a server's medians in one case.
struct SummaryRow: Equatable, Sendable {
    var server: String
    var benchCase: BenchCase
    var runs: Int
    var failedRuns: Int
    var medianRoundTripsPerSecond: Double?
    var medianP50Microseconds: Double?
    var medianP99Microseconds: Double?
    var medianLost: Double?
    var medianServerMicrosecondsPerRoundTrip: Double?
    /// Median rps over the best median rps of the other servers in the case.
    var ratioToBestPeer: Double?
    /// Median over repetitions of rps / echo_uring's rps in the same repetition.
    var ratioToEchoUring: Double?
    /// The same over nio-echo-handler's rps, and over its server CPU per round trip: SwiftNIO
    /// on epoll, the peer of our server on the epoll fallback.
    var ratioToNIOHandler: Double?
    var cpuRatioToNIOHandler: Double?
    /// UDP: the same over udp_echo's rps and server CPU per round trip.
    var ratioToUDPEcho: Double?
    var cpuRatioToUDPEcho: Double?
}

enum Summary {
    /// One row per server and case that has runs, in the order given. Failed runs are
    /// counted but left out of the medians.
    static func rows(_ records: [RunRecord], servers: [String], cases: [BenchCase]) -> [SummaryRow] {
        var rows: [SummaryRow] = []
        for benchCase in cases {
            var caseRows: [SummaryRow] = []
            for server in servers {
                let runs = records.filter { $0.server == server && $0.benchCase == benchCase }
                guard !runs.isEmpty else { continue }
                let good = runs.filter(\.isSuccess)
                let nioHandler = ServerKind.nioEchoHandler.rawValue
                let udpEcho = ServerKind.udpEcho.rawValue
                caseRows.append(
                    SummaryRow(
                        server: server,
                        benchCase: benchCase,
                        runs: runs.count,
                        failedRuns: runs.count - good.count,
                        medianRoundTripsPerSecond: median(good.map(\.roundTripsPerSecond)),
                        medianP50Microseconds: median(good.map(\.p50Microseconds)),
                        medianP99Microseconds: median(good.map(\.p99Microseconds)),
                        medianLost: median(good.compactMap { $0.lost.map(Double.init) }),
                        medianServerMicrosecondsPerRoundTrip: median(good.compactMap(\.serverMicrosecondsPerRoundTrip)),
                        ratioToEchoUring: pairedRatio(good, to: records, server: ServerKind.echoUring.rawValue),
                        ratioToNIOHandler: pairedRatio(good, to: records, server: nioHandler),
                        cpuRatioToNIOHandler: pairedRatio(
                            good,
                            to: records,
                            server: nioHandler,
                            of: \.serverMicrosecondsPerRoundTrip
                        ),
                        ratioToUDPEcho: pairedRatio(good, to: records, server: udpEcho),
                        cpuRatioToUDPEcho: pairedRatio(
                            good,
                            to: records,
                            server: udpEcho,
                            of: \.serverMicrosecondsPerRoundTrip
                        )
                    )
                )
            }
            for index in caseRows.indices {
                let best = caseRows.enumerated().filter { $0.offset != index }
                    .compactMap(\.element.medianRoundTripsPerSecond).max()
                caseRows[index].ratioToBestPeer = ratio(caseRows[index].medianRoundTripsPerSecond, to: best)
            }
            rows += caseRows
        }
        return rows
    }

    /// The median, over repetitions, of each run's `measure` (rps unless told) over `server`'s
    /// in the same case and repetition: paired, so that drift of the machine between
    /// repetitions cancels.
    static func pairedRatio(
        _ runs: [RunRecord],
        to all: [RunRecord],
        server: String,
        of measure: (RunRecord) -> Double? = \.roundTripsPerSecond
    ) -> Double? {
        let ratios = runs.compactMap { run -> Double? in
            let peer = all.first {
                $0.server == server && $0.benchCase == run.benchCase && $0.repetition == run.repetition && $0.isSuccess
            }
            return ratio(measure(run), to: peer.flatMap(measure))
        }
        return median(ratios)
    }

    /// The table, aligned in columns; the `lost` column (UDP) and each paired ratio column
    /// only when some row has it.
    static func table(_ rows: [SummaryRow]) -> String {
        let pairedColumns = [
            (header: "vs echo_uring", value: \SummaryRow.ratioToEchoUring),
            ("vs nio-echo-handler", \.ratioToNIOHandler),
            ("CPU vs nio-echo-handler", \.cpuRatioToNIOHandler),
            ("vs udp_echo", \.ratioToUDPEcho),
            ("CPU vs udp_echo", \.cpuRatioToUDPEcho),
        ].filter { column in rows.contains { $0[keyPath: column.value] != nil } }
        let hasLost = rows.contains { $0.medianLost != nil }
        let header =
            ["server", "case", "rps", "p50 us", "p99 us"] + (hasLost ? ["lost"] : []) + ["srv us/rt", "vs best peer"]
            + pairedColumns.map(\.header)
        let body = rows.map { row in
            let cells =
                [
                    row.server + (row.failedRuns > 0 ? " (\(row.failedRuns)/\(row.runs) failed)" : ""),
                    row.benchCase.description,
                    cell(row.medianRoundTripsPerSecond, decimals: 0),
                    cell(row.medianP50Microseconds, decimals: 1),
                    cell(row.medianP99Microseconds, decimals: 1),
                ] + (hasLost ? [cell(row.medianLost, decimals: 0)] : [])
                + [
                    cell(row.medianServerMicrosecondsPerRoundTrip, decimals: 2),
                    cell(row.ratioToBestPeer, decimals: 2, suffix: "x"),
                ]
            return cells + pairedColumns.map { cell(row[keyPath: $0.value], decimals: 2, suffix: "x") }
        }
        return align([header] + body)
    }

    private static func cell(_ value: Double?, decimals: Int, suffix: String = "") -> String {
        value.map { ResultLine.format($0, decimals: decimals) + suffix } ?? "-"
    }

    /// Left-aligns the first two columns and right-aligns the rest, two spaces apart.
    static func align(_ table: [[String]]) -> String {
        let columns = table.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in table.map { $0.count > column ? $0[column].count : 0 }.max() ?? 0 }
        return table.map { cells in
            cells.enumerated().map { column, text in
                let padding = String(repeating: " ", count: widths[column] - text.count)
                return column < 2 ? text + padding : padding + text
            }.joined(separator: "  ").trimmingTrailingSpaces
        }.joined(separator: "\n")
    }
}

extension String {
    fileprivate var trimmingTrailingSpaces: String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
