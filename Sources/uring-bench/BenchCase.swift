import ArgumentParser
import Foundation

/// One cell of the benchmark matrix: `connections` connections exchanging `size`-byte
/// messages, written `connections:size` (`50:64`).
struct BenchCase: Hashable, Codable, Sendable, CustomStringConvertible {
    var connections: Int
    var size: Int

    /// The matrix the runner measures unless told otherwise.
    static let defaultList = "1:64,50:64,500:64,50:4096"

    /// The matrix of `run --udp`, written `flows:size`: one datagram in flight per flow.
    static let udpDefaultList = "1:64,16:64,256:64,16:1200"

    /// The datagram sizes udp_loadgen accepts (it embeds a 12-byte header).
    static let udpSizes = 12...65000

    init(connections: Int, size: Int) {
        self.connections = connections
        self.size = size
    }

    /// Parses `CONNECTIONS:SIZE`, both positive integers.
    /// - Throws: `ValidationError` naming the bad part.
    init(parsing text: some StringProtocol) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw ValidationError("case '\(text)' is not CONNECTIONS:SIZE, e.g. 50:64")
        }
        guard let connections = Int(parts[0]), connections >= 1 else {
            throw ValidationError("case '\(text)': connections must be a positive integer")
        }
        guard let size = Int(parts[1]), (1...(16 << 20)).contains(size) else {
            throw ValidationError("case '\(text)': size must be an integer in 1...16777216")
        }
        self.init(connections: connections, size: size)
    }

    /// Parses a comma-separated list such as `1:64,50:4096`; spaces around items are ignored.
    /// - Throws: `ValidationError` for an empty list, a malformed item or a repeated case.
    static func parseList(_ text: String) throws -> [BenchCase] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard !items.isEmpty, !items.contains(where: \.isEmpty) else {
            throw ValidationError("--cases needs a comma-separated list such as \(defaultList)")
        }
        let cases = try items.map { try BenchCase(parsing: $0) }
        guard Set(cases).count == cases.count else { throw ValidationError("--cases lists a case twice: \(text)") }
        return cases
    }

    var description: String { "\(connections):\(size)" }
}
