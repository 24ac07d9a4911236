import Foundation

/// One run of `file-run`: a reader in a case in a repetition, its figures or why it failed.
struct FileRunRecord: Sendable {
    var reader: FileReader
    var fileCase: FileCase
    var repetition: Int
    var figures: FileRunFigures?
    var failure: String?
}

/// Medians, ratios to fio's io_uring engine and the floors of `file-run`.
enum FileRunSummary {
    /// A floor: `reader`'s median IOPS at least `factor` times `baseline`'s, in `fileCase`.
    struct Floor: Sendable {
        var fileCase: FileCase
        var reader: FileReader
        var baseline: FileReader
        var factor: Double
    }

    static let floors = [
        Floor(fileCase: .directDepth32, reader: .uring, baseline: .fioIoUring, factor: 0.95),
        Floor(fileCase: .cachedDepth32, reader: .uring, baseline: .fioIoUring, factor: 0.7),
        Floor(fileCase: .cachedDepth1, reader: .uring, baseline: .nio, factor: 3),
        Floor(fileCase: .cachedDepth32, reader: .uring, baseline: .nio, factor: 3),
    ]

    /// The median IOPS of the good runs of `reader` in `fileCase`, if any.
    static func median(_ records: [FileRunRecord], _ reader: FileReader, _ fileCase: FileCase) -> Double? {
        let values = records.filter { $0.reader == reader && $0.fileCase == fileCase }.compactMap { $0.figures?.iops }
            .sorted()
        guard !values.isEmpty else { return nil }
        let middle = values.count / 2
        return values.count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2
    }

    /// The table: a row per case and reader, median IOPS, the ratio to fio-io_uring in the
    /// same case, and the runs; then each floor, met or not.
    static func table(_ records: [FileRunRecord], cases: [FileCase], readers: [FileReader]) -> String {
        var lines = ["case              reader            median IOPS   vs fio-io_uring   runs"]
        for fileCase in cases {
            let fio = median(records, .fioIoUring, fileCase)
            for reader in readers where reader.runs(fileCase) {
                let runs = records.filter { $0.reader == reader && $0.fileCase == fileCase }
                guard !runs.isEmpty else { continue }
                let value = median(records, reader, fileCase)
                let ratio = value.flatMap { value in fio.map { String(format: "%.2fx", value / $0) } } ?? "-"
                let good = runs.filter { $0.figures != nil }.count
                lines.append(
                    pad(fileCase.rawValue, 18) + pad(reader.rawValue, 18)
                        + pad(value.map { String(format: "%.0f", $0) } ?? "failed", 14) + pad(ratio, 18)
                        + "\(good)/\(runs.count)"
                )
            }
        }
        for floor in floors where cases.contains(floor.fileCase) {
            lines.append(describe(floor, records))
        }
        return lines.joined(separator: "\n")
    }

    static func describe(_ floor: Floor, _ records: [FileRunRecord]) -> String {
        let name =
            "floor \(floor.fileCase.rawValue): \(floor.reader.rawValue) >= \(floor.factor)x \(floor.baseline.rawValue)"
        guard let value = median(records, floor.reader, floor.fileCase),
            let baseline = median(records, floor.baseline, floor.fileCase)
        else { return "\(name): not measured" }
        let ratio = value / baseline
        return "\(name): \(String(format: "%.2f", ratio))x, \(ratio >= floor.factor ? "met" : "NOT met")"
    }

    /// The common schema: one suite named "file", in IOPS, against fio's io_uring engine.
    static func results(_ records: [FileRunRecord], cases: [FileCase], conditions: RunConditions) -> BenchResults {
        let measurements = records.map { record in
            Measurement(
                server: record.reader.rawValue,
                caseName: record.fileCase.rawValue,
                repetition: record.repetition,
                throughput: record.figures?.iops ?? 0,
                cpuMicroseconds: nil,
                latency: record.figures?.latency ?? [],
                failure: record.figures == nil ? (record.failure ?? "failed") : nil
            )
        }
        let suite = SuiteResults(
            name: "file",
            throughputUnit: "IOPS",
            costUnit: nil,
            yardstick: FileReader.fioIoUring.rawValue,
            cases: cases.map(\.rawValue),
            measurements: measurements,
            pinning: "fio and every reader on CPU \(conditions.serverCPUs)"
        )
        return BenchResults(conditions: conditions, suites: [suite])
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
