import ArgumentParser
import Foundation

/// One load of `uring-bench http-run`: how many connections wrk keeps open and how it sends
/// requests on them.
enum HTTPShape: String, CaseIterable, Codable, Sendable {
    /// 64 keep-alive connections, one request in flight on each.
    case c64
    /// 256 keep-alive connections, one request in flight on each.
    case c256
    /// 256 keep-alive connections, 16 requests pipelined on each.
    case c256p16
    /// 64 connections, each request with `Connection: close`: a new connection per request.
    case close

    /// The connections wrk opens (`-c`).
    var connections: Int {
        switch self {
        case .c64, .close: 64
        case .c256, .c256p16: 256
        }
    }

    /// Requests written back to back on a connection before wrk reads the responses.
    var pipelineDepth: Int { self == .c256p16 ? 16 : 1 }

    /// Whether every request asks the server to close the connection after its response.
    var closesConnections: Bool { self == .close }

    /// What the shape is, for the help text and the report.
    var summary: String {
        switch self {
        case .c64: "64 connections, keep-alive"
        case .c256: "256 connections, keep-alive"
        case .c256p16: "256 connections, keep-alive, 16 requests pipelined"
        case .close: "64 connections, Connection: close (a connection per request)"
        }
    }

    /// Parses `--shapes`: a comma-separated list of names, none twice.
    /// - Throws: `ValidationError` naming the unknown or repeated shape.
    static func parseList(_ text: String) throws -> [HTTPShape] {
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        let shapes = try names.map { name in
            guard let shape = HTTPShape(rawValue: name) else {
                throw ValidationError(
                    "unknown shape '\(name)'; known: \(allCases.map(\.rawValue).joined(separator: ","))"
                )
            }
            return shape
        }
        guard Set(shapes).count == shapes.count else { throw ValidationError("--shapes lists a shape twice: \(text)") }
        return shapes
    }
}
