/// Generates requests from a seed: a valid one, then zero or more mutations that make it
/// invalid or unusual in the ways parsers are known to disagree on.
struct RequestMutator {
    var random: SplitMix64

    init(seed: UInt64) {
        random = SplitMix64(seed: seed)
    }

    /// A request as its parts, so that mutations can target one part.
    struct Request {
        var leading = ""
        var method = "GET"
        var target = "/"
        var version = "HTTP/1.1"
        var fields: [(String, String)] = [("Host", "example.com")]
        /// Field lines written as they are (after the fields), for malformed ones.
        var rawFieldLines: [String] = []
        var lineEnd = "\r\n"
        var body = ""

        var text: String {
            var text = leading + "\(method) \(target) \(version)" + lineEnd
            for (name, value) in fields { text += "\(name): \(value)" + lineEnd }
            for line in rawFieldLines { text += line + lineEnd }
            return text + lineEnd + body
        }
    }

    /// A valid request: a GET, a Content-Length body or a chunked body.
    mutating func makeValid() -> Request {
        var request = Request()
        request.method = pick(["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"])
        request.target = pick(["/", "/a/b?c=d&e", "/%20x", "/~user/index.html"])
        if random.below(4) == 0 { request.fields.append(("User-Agent", "test/1.0")) }
        if random.below(4) == 0 { request.fields.append(("Accept", "*/*")) }
        switch random.below(3) {
        case 0:
            break
        case 1:
            request.body = String(repeating: "b", count: 1 + random.below(20))
            request.fields.append(("Content-Length", "\(request.body.utf8.count)"))
        default:
            request.fields.append(("Transfer-Encoding", "chunked"))
            request.body = "5\r\nhello\r\nb\r\n world wide\r\n0\r\n\r\n"
        }
        return request
    }

    /// The mutations, by name: each changes a request in one way.
    static let mutations: [(String, @Sendable (inout RequestMutator, inout Request) -> Void)] = [
        ("duplicate Content-Length", { _, r in r.fields.append(("Content-Length", r.contentLength ?? "0")) }),
        (
            "conflicting Content-Length",
            { _, r in r.fields.append(("Content-Length", "\((Int(r.contentLength ?? "0") ?? 0) + 1)")) }
        ),
        ("Content-Length list", { m, r in r.fields.append(("Content-Length", m.pick(["3, 3", "3,4", "0,", ", 0"]))) }),
        (
            "Content-Length value",
            { m, r in
                r.set("Content-Length", m.pick(["+3", "03", "-1", "0x3", "3 ", "3a", "", "99999999999999999999"]))
            }
        ),
        (
            "Content-Length with Transfer-Encoding",
            { _, r in r.fields += [("Content-Length", "3"), ("Transfer-Encoding", "chunked")] }
        ),
        (
            "Transfer-Encoding value",
            { m, r in
                r.set(
                    "Transfer-Encoding",
                    m.pick([
                        "gzip, chunked", "chunked, gzip", "identity", "Chunked", "chunked ", "gzip", "chunked, chunked",
                        "",
                    ])
                )
            }
        ),
        ("obs-fold", { _, r in r.rawFieldLines += ["X-Fold: a", " b"] }),
        ("bare LF", { _, r in r.lineEnd = "\n" }),
        ("bare LF in one line", { _, r in r.rawFieldLines.append("X-A: 1\nX-B: 2") }),
        ("bare CR in one line", { _, r in r.rawFieldLines.append("X-A: 1\rX-B: 2") }),
        (
            "method character",
            { m, r in r.method.insert(m.pick(Array("()<>@,;:\\\"/[]?={}\u{1}\u{7F}é")), at: r.method.startIndex) }
        ),
        (
            "unknown method",
            { m, r in r.method = m.pick(["FOO", "get", "PROPFIND", "M-SEARCH", "PURGE", "QUERY", "SEARCH"]) }
        ),
        (
            "field name character",
            { m, r in r.rawFieldLines.append("X\(m.pick(Array("()<>@,;\\\"/[]?={}é\u{1}")))Y: v") }
        ),
        ("empty field name", { _, r in r.rawFieldLines.append(": v") }),
        ("whitespace before colon", { m, r in r.rawFieldLines.append("X-Y\(m.pick([" ", "\t"])): v") }),
        (
            "field value control",
            { m, r in r.rawFieldLines.append("X-Y: a\(m.pick(["\u{0}", "\u{1}", "\u{7F}", "\u{1B}", "\t"]))b") }
        ),
        ("field value obs-text", { _, r in r.rawFieldLines.append("X-Y: caf\u{E9}") }),
        (
            "version",
            { m, r in
                r.version = m.pick([
                    "HTTP/1.0", "HTTP/1.2", "HTTP/2.0", "HTTP/0.9", "HTTP/1.01", "http/1.1", "HTTP/1.1 ", "HTTP/11",
                    "HTTP/3.0",
                ])
            }
        ),
        ("missing Host", { _, r in r.fields.removeAll { $0.0 == "Host" } }),
        (
            "multiple Host",
            { m, r in r.fields.append((m.pick(["Host", "host"]), m.pick(["example.com", "other.example"]))) }
        ),
        ("empty Host", { _, r in r.set("Host", "") }),
        ("leading CRLF", { m, r in r.leading = String(repeating: "\r\n", count: 1 + m.random.below(3)) }),
        ("leading LF", { _, r in r.leading = "\n" }),
        (
            "absolute-form",
            { m, r in r.target = m.pick(["http://example.com/x", "http://example.com", "https://a:1/?q", "ftp://a/"]) }
        ),
        (
            "authority-form",
            { m, r in
                r.target = "example.com:443"
                r.method = m.pick(["CONNECT", "GET"])
            }
        ),
        (
            "asterisk-form",
            { m, r in
                r.target = "*"
                r.method = m.pick(["OPTIONS", "GET"])
            }
        ),
        (
            "target character",
            { m, r in r.target += m.pick(["\u{7F}", "é", "\u{1}", "#frag", "\"", "<", "{", "|", "\\"]) }
        ),
        ("Expect", { m, r in r.fields.append(("Expect", m.pick(["100-continue", "100-Continue", "200-ok", ""]))) }),
        (
            "Connection",
            { m, r in
                r.fields.append(
                    (
                        "Connection",
                        m.pick(["close", "keep-alive", "Keep-Alive", "upgrade, close", "closed", "x, keep-alive"])
                    )
                )
            }
        ),
        (
            "chunk size",
            { m, r in
                r.chunk(
                    m.pick([
                        "10000000000000000", "fffffffffffffffff", "000000000000000005", "0x5", "g", "-5", " 5", "5 ",
                        "05", "A", "",
                    ])
                )
            }
        ),
        (
            "chunk extension",
            { m, r in
                r.chunk(
                    "5" + m.pick([";a=b", ";a=\"b c\"", ";", ";a=", ";a=\"b", "; a = b", ";a b", ";a=b;c", ";\"x\""])
                )
            }
        ),
        (
            "chunk data end",
            { m, r in r.chunkData(m.pick(["helloX\r\n", "hello\n", "hello\r", "hell\r\n", "hello\r\r\n"])) }
        ),
        (
            "trailers",
            { m, r in
                r.trailers(
                    m.pick(["X-T: 1\r\n", "X-T: 1\n", "X-T : 1\r\n", " X-T: 1\r\n", "Content-Length: 5\r\n", ": 1\r\n"])
                )
            }
        ),
        (
            "random byte",
            { m, r in r.rawFieldLines.append("X-R: \(m.pick(Array("\u{0}\u{8}\u{B}\u{C}\u{1F}\u{80}\u{FF}")))") }
        ),
        (
            "HTTP/1.0 keep-alive",
            { m, r in
                r.version = "HTTP/1.0"
                r.fields.append(("Connection", m.pick(["keep-alive", "close", "foo"])))
            }
        ),
    ]

    /// A request with zero to two mutations, and the names of those applied.
    mutating func make() -> (bytes: [UInt8], mutations: [String]) {
        var request = makeValid()
        var names: [String] = []
        for _ in 0..<random.below(3) {
            let (name, mutate) = Self.mutations[random.below(Self.mutations.count)]
            mutate(&self, &request)
            names.append(name)
        }
        return (Array(request.text.utf8), names)
    }

    mutating func pick<T>(_ choices: [T]) -> T {
        choices[random.below(choices.count)]
    }
}

extension RequestMutator.Request {
    var contentLength: String? { fields.first { $0.0 == "Content-Length" }?.1 }

    /// Sets the field, replacing any with that name.
    mutating func set(_ name: String, _ value: String) {
        fields.removeAll { $0.0 == name }
        fields.append((name, value))
    }

    /// Makes the body chunked with a first chunk size line of `sizeLine`.
    mutating func chunk(_ sizeLine: String) {
        set("Transfer-Encoding", "chunked")
        fields.removeAll { $0.0 == "Content-Length" }
        body = "\(sizeLine)\r\nhello\r\n0\r\n\r\n"
    }

    /// Makes the body chunked with a 5-byte chunk whose data and end are `data`.
    mutating func chunkData(_ data: String) {
        chunk("5")
        body = "5\r\n\(data)0\r\n\r\n"
    }

    /// Makes the body chunked with the trailer section `trailers` (CRLF at its end added).
    mutating func trailers(_ trailers: String) {
        chunk("5")
        body = "5\r\nhello\r\n0\r\n\(trailers)\r\n"
    }
}

/// A small seeded generator (SplitMix64), so that a failing seed reproduces.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }
}
