import Foundation

/// A case of `uring-bench file-run`: random 4 KiB reads of the test file at a queue depth,
/// from the page cache or direct from the device.
enum FileCase: String, CaseIterable, Sendable {
    case cachedDepth1 = "cached depth 1"
    case cachedDepth32 = "cached depth 32"
    case directDepth32 = "direct depth 32"

    var depth: Int {
        switch self {
        case .cachedDepth1: 1
        case .cachedDepth32, .directDepth32: 32
        }
    }

    var isDirect: Bool { self == .directDepth32 }
}

/// Who reads in a `file-run` case: fio (the yardstick), `uring-bench file-read` (on io_uring,
/// with registered buffers, or on the epoll fallback and its worker threads), or SwiftNIO's
/// file system (`nio-file-read`).
enum FileReader: String, CaseIterable, Sendable {
    case fioIoUring = "fio-io_uring"
    case fioPsync = "fio-psync"
    case uring
    case uringRegistered = "uring-registered"
    case uringEpoll = "uring-epoll"
    case nio

    /// psync has no queue depth, so it stands beside depth 1 only; NIOFileSystem has no
    /// direct I/O.
    func runs(_ fileCase: FileCase) -> Bool {
        switch self {
        case .fioPsync: fileCase == .cachedDepth1
        case .nio: !fileCase.isDirect
        case .fioIoUring, .uring, .uringRegistered, .uringEpoll: true
        }
    }
}

/// The programs and settings of one `file-run`.
struct FileRunPlan: Sendable {
    var path: String
    var size: Int64
    var seconds: Int
    var cpu: Int
    var fio: String
    var selfExecutable: String
    /// nil: the NIO peer was not found and is skipped.
    var nioPeer: String?
    var taskset: String
    var cases: [FileCase]
    var readers: [FileReader]

    /// The command line of `reader` in `fileCase`: fio pinned with `--cpus_allowed`, the
    /// others with `taskset -c`.
    func command(_ reader: FileReader, _ fileCase: FileCase) -> [String]? {
        let block = "4096"
        let depth = String(fileCase.depth)
        switch reader {
        case .fioIoUring, .fioPsync:
            return [
                fio, "--name=randread", "--filename=\(path)", "--size=\(size)", "--rw=randread", "--bs=\(block)",
                "--ioengine=\(reader == .fioPsync ? "psync" : "io_uring")", "--iodepth=\(depth)", "--numjobs=1",
                "--direct=\(fileCase.isDirect ? 1 : 0)", "--invalidate=0", "--time_based", "--runtime=\(seconds)s",
                "--cpus_allowed=\(cpu)", "--output-format=json",
            ]
        case .uring, .uringRegistered, .uringEpoll:
            let driver = reader == .uringEpoll ? "epoll" : "io_uring"
            return [taskset, "-c", String(cpu), selfExecutable, "file-read", "--path", path, "--depth", depth]
                + ["--block", block, "--seconds", String(seconds), "--driver", driver]
                + (fileCase.isDirect ? ["--direct"] : []) + (reader == .uringRegistered ? ["--registered"] : [])
        case .nio:
            guard let nioPeer else { return nil }
            return [taskset, "-c", String(cpu), nioPeer, "--path", path, "--depth", depth]
                + ["--block", block, "--seconds", String(seconds)]
        }
    }
}

/// What one run measured.
struct FileRunFigures: Equatable, Sendable {
    var iops: Double
    var latency: [LatencyPoint]
}

enum FileRunParsing {
    /// The IOPS and completion latency percentiles of fio's `--output-format=json` (which
    /// may follow lines of notes).
    static func fio(_ output: String) throws -> FileRunFigures {
        guard let start = output.firstIndex(of: "{"),
            let object = try? JSONSerialization.jsonObject(with: Data(output[start...].utf8)) as? [String: Any],
            let job = (object["jobs"] as? [[String: Any]])?.first,
            let read = job["read"] as? [String: Any],
            let iops = (read["iops"] as? NSNumber)?.doubleValue
        else { throw RunOptionsError("fio printed no JSON with jobs[0].read.iops: \(output.prefix(300))") }
        let percentiles = ((read["clat_ns"] as? [String: Any])?["percentile"] as? [String: Any]) ?? [:]
        let latency = [50.0, 90, 99, 99.9].compactMap { percentile -> LatencyPoint? in
            let key = String(format: "%.6f", percentile)
            guard let nanoseconds = (percentiles[key] as? NSNumber)?.doubleValue else { return nil }
            return LatencyPoint(percentile: percentile, microseconds: nanoseconds / 1000)
        }
        return FileRunFigures(iops: iops, latency: latency)
    }

    /// The `iops=` of a `file-read ...` line (`uring-bench file-read`, `nio-file-read`).
    static func fileReadLine(_ output: String) throws -> FileRunFigures {
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("file-read ") }),
            let field = line.split(separator: " ").first(where: { $0.hasPrefix("iops=") }),
            let iops = Double(field.dropFirst("iops=".count))
        else { throw RunOptionsError("no 'file-read ... iops=N' line in: \(output.suffix(300))") }
        return FileRunFigures(iops: iops, latency: [])
    }

    /// A size in bytes, with an optional K, M or G suffix (powers of 1024): `1G`, `512M`.
    static func size(_ text: String) -> Int64? {
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        guard let last = text.uppercased().last else { return nil }
        let (digits, unit) = units[last].map { (text.dropLast(), $0) } ?? (Substring(text), 1)
        guard let value = Int64(digits), value > 0 else { return nil }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: unit)
        return overflow ? nil : bytes
    }
}
