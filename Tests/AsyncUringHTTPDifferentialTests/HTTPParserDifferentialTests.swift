import Testing

/// Our request parser against SwiftNIO's `HTTPRequestDecoder` (llhttp, in its default
/// strict mode) on generated requests, valid and mutated.
///
/// Both must accept or both refuse, and what both accept must read the same (method,
/// target, version, fields, body, trailers, keep-alive). Every disagreement must be one of
/// ``KnownDifference/all``, each with why we differ; any other fails the test.
@Suite struct HTTPParserDifferentialTests {
    static let seeds: Range<UInt64> = 0..<10000

    @Test func parsersAgreeExceptOnListedDifferences() {
        var unexplained: [String] = []
        var seen: [String: Int] = [:]
        for seed in Self.seeds {
            var mutator = RequestMutator(seed: seed)
            let (bytes, mutations) = mutator.make()
            let sample = DifferentialCase(bytes: bytes, ours: Parsers.ours(bytes), nio: Parsers.nio(bytes))
            guard sample.disagree else { continue }
            if let known = KnownDifference.all.first(where: { $0.matches(sample) }) {
                seen[known.name, default: 0] += 1
            } else if unexplained.count < 20 {
                unexplained.append("seed \(seed) \(mutations): \(sample)")
            }
        }
        #expect(unexplained.isEmpty, "unlisted disagreements:\n\(unexplained.joined(separator: "\n"))")
        // The generator reaches the listed differences: a list entry nothing matches any more
        // is stale and should go.
        for known in KnownDifference.all where seen[known.name] == nil {
            Issue.record("listed difference never seen: \(known.name)")
        }
    }

    /// The valid requests, unmutated, are read the same by both.
    @Test func parsersAgreeOnValidRequests() {
        for seed in Self.seeds {
            var mutator = RequestMutator(seed: seed)
            let bytes = Array(mutator.makeValid().text.utf8)
            let ours = Parsers.ours(bytes)
            #expect(ours.request != nil, "\(String(decoding: bytes, as: UTF8.self).debugDescription): \(ours)")
            let sample = DifferentialCase(bytes: bytes, ours: ours, nio: Parsers.nio(bytes))
            #expect(!sample.disagree || KnownDifference.all.contains { $0.matches(sample) }, "\(sample)")
        }
    }
}

/// One input and what each parser made of it.
struct DifferentialCase: CustomStringConvertible {
    var bytes: [UInt8]
    var ours: ParserOutcome
    var nio: ParserOutcome

    /// Refusals agree whatever their reasons.
    var disagree: Bool { ours != nio && !(ours.isRefused && nio.isRefused) }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The head's lines (CRLF-separated), from the request line on.
    var lines: [Substring] {
        let message = text.drop { $0 == "\r\n" || $0 == "\r" || $0 == "\n" }
        let head = message.split(separator: "\r\n\r\n", maxSplits: 1, omittingEmptySubsequences: false)[0]
        return head.split(separator: "\r\n", omittingEmptySubsequences: false)
    }

    var requestLine: [Substring] { lines.first?.split(separator: " ", omittingEmptySubsequences: false) ?? [] }
    var method: String { requestLine.first.map(String.init) ?? "" }
    var target: String { requestLine.count > 1 ? String(requestLine[1]) : "" }

    /// The trimmed values of the head's fields named `name`.
    func values(_ name: String) -> [String] {
        lines.dropFirst().compactMap { line in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == name.lowercased() else { return nil }
            return parts[1].trimmingCharacters(in: " \t")
        }
    }

    func oursRefused(_ reason: String) -> Bool { ours == .refused(reason) }
    var nioAccepts: Bool { nio.request != nil }
    var nioRefused: Bool { nio.isRefused }

    var description: String {
        "\(text.debugDescription)\n    ours: \(ours)\n    nio:  \(nio)"
    }
}
