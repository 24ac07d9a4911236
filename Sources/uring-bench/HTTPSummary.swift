/// One line of the `http-run` table: a server's medians under one shape.
struct HTTPSummaryRow: Equatable, Sendable {
    var server: String
    var shape: HTTPShape
    var runs: Int
    var failedRuns: Int
    var medianRequestsPerSecond: Double?
    var medianP50Microseconds: Double?
    var medianP99Microseconds: Double?
    var medianServerMicrosecondsPerRequest: Double?
    /// Median over repetitions of rps / nginx's rps in the same shape and repetition.
    var requestsPerSecondVersusNginx: Double?
    /// Median over repetitions of CPU per request / nginx's in the same shape and repetition.
    var cpuPerRequestVersusNginx: Double?
}

enum HTTPSummary {
    static let reference = HTTPServerKind.nginx.rawValue

    /// One row per shape and server that has runs, in the order given. Failed runs are
    /// counted but left out of the medians and ratios.
    static func rows(_ records: [HTTPRunRecord], servers: [String], shapes: [HTTPShape]) -> [HTTPSummaryRow] {
        var rows: [HTTPSummaryRow] = []
        for shape in shapes {
            for server in servers {
                let runs = records.filter { $0.server == server && $0.shape == shape }
                guard !runs.isEmpty else { continue }
                let good = runs.filter(\.isSuccess)
                rows.append(
                    HTTPSummaryRow(
                        server: server,
                        shape: shape,
                        runs: runs.count,
                        failedRuns: runs.count - good.count,
                        medianRequestsPerSecond: median(good.compactMap(\.requestsPerSecond)),
                        medianP50Microseconds: median(good.compactMap(\.p50Microseconds)),
                        medianP99Microseconds: median(good.compactMap(\.p99Microseconds)),
                        medianServerMicrosecondsPerRequest: median(good.compactMap(\.serverMicrosecondsPerRequest)),
                        requestsPerSecondVersusNginx: pairedRatio(good, records, \.requestsPerSecond),
                        cpuPerRequestVersusNginx: pairedRatio(good, records, \.serverMicrosecondsPerRequest)
                    )
                )
            }
        }
        return rows
    }

    /// The median, over repetitions, of each run's `figure` over nginx's in the same shape
    /// and repetition: paired, so that drift of the machine between repetitions cancels.
    static func pairedRatio(
        _ runs: [HTTPRunRecord],
        _ all: [HTTPRunRecord],
        _ figure: (HTTPRunRecord) -> Double?
    ) -> Double? {
        let ratios = runs.compactMap { run -> Double? in
            let peer = all.first {
                $0.server == reference && $0.shape == run.shape && $0.repetition == run.repetition && $0.isSuccess
            }
            return ratio(figure(run), to: peer.flatMap(figure))
        }
        return median(ratios)
    }

    /// The table, aligned in columns; the nginx ratio columns only when some row has them.
    static func table(_ rows: [HTTPSummaryRow]) -> String {
        let hasNginx = rows.contains { $0.requestsPerSecondVersusNginx != nil || $0.cpuPerRequestVersusNginx != nil }
        var header = ["server", "shape", "rps", "p50 us", "p99 us", "srv us/req"]
        if hasNginx { header += ["rps vs nginx", "cpu vs nginx"] }
        let body = rows.map { row in
            var cells = [
                row.server + (row.failedRuns > 0 ? " (\(row.failedRuns)/\(row.runs) failed)" : ""),
                row.shape.rawValue,
                cell(row.medianRequestsPerSecond, decimals: 0),
                cell(row.medianP50Microseconds, decimals: 0),
                cell(row.medianP99Microseconds, decimals: 0),
                cell(row.medianServerMicrosecondsPerRequest, decimals: 2),
            ]
            if hasNginx {
                cells += [
                    cell(row.requestsPerSecondVersusNginx, decimals: 2, suffix: "x"),
                    cell(row.cpuPerRequestVersusNginx, decimals: 2, suffix: "x"),
                ]
            }
            return cells
        }
        return Summary.align([header] + body)
    }

    private static func cell(_ value: Double?, decimals: Int, suffix: String = "") -> String {
        value.map { ResultLine.format($0, decimals: decimals) + suffix } ?? "-"
    }
}
