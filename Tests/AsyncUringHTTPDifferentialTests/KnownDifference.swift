@testable import AsyncUringHTTP

/// A way our parser and SwiftNIO's (llhttp) read the same bytes differently, on purpose,
/// with the reason; ``matches`` recognizes it in a disagreement.
struct KnownDifference: Sendable {
    var name: String
    var why: String
    var matches: @Sendable (DifferentialCase) -> Bool

    static let all: [KnownDifference] = refusedByUs + refusedByNIO + readDifferently

    /// We refuse, NIO accepts (or waits for a body it would accept).
    static let refusedByUs: [KnownDifference] = [
        KnownDifference(
            name: "missing Host",
            why: """
                RFC 9112 section 3.2: a server MUST answer 400 to an HTTP/1.1 request without Host. \
                NIO's decoder leaves that check to the application.
                """,
            matches: { $0.oursRefused("missingHost") && !$0.nioRefused }
        ),
        KnownDifference(
            name: "multiple Host",
            why: """
                RFC 9112 section 3.2: a server MUST answer 400 to more than one Host field line; two \
                Host fields are a cache-poisoning and routing-confusion vector. NIO passes both on.
                """,
            matches: { $0.oursRefused("multipleHost") && !$0.nioRefused }
        ),
        KnownDifference(
            name: "leading bare LF",
            why: """
                llhttp skips any CR or LF before a request line; we skip CRLF pairs only (RFC 9112 \
                section 2.2 allows ignoring at least one empty line) and refuse a bare LF anywhere, as \
                we do inside the head, rather than accept lone LFs in one place only.
                """,
            matches: { $0.oursRefused("bareLineFeed") && !$0.nioRefused && $0.hasBareLineFeedBeforeRequestLine }
        ),
        KnownDifference(
            name: "Expect other than 100-continue",
            why: """
                RFC 9110 section 10.1.1: a server MAY answer 417 to an expectation it does not support; \
                we do, so a client never waits on one. NIO passes Expect on to the application.
                """,
            matches: { $0.oursRefused("unsupportedExpectation") && !$0.nioRefused }
        ),
        KnownDifference(
            name: "Transfer-Encoding in HTTP/1.0",
            why: """
                RFC 9112 section 6.1: an HTTP/1.0 message with Transfer-Encoding MUST be treated as \
                having faulty framing (HTTP/1.0 peers do not know chunked: a smuggling vector). \
                llhttp decodes the chunked body.
                """,
            matches: { $0.oursRefused("transferEncodingInHTTP10") && !$0.nioRefused }
        ),
        KnownDifference(
            name: "transfer coding other than chunked",
            why: """
                RFC 9112 section 6.1: a server that receives a transfer coding it does not understand \
                SHOULD answer 501; we implement chunked only. llhttp passes the still-coded body on.
                """,
            matches: { $0.oursRefused("unsupportedTransferCoding") && !$0.nioRefused }
        ),
        KnownDifference(
            name: "asterisk-form for a method other than OPTIONS",
            why: """
                RFC 9112 section 3.2.4: the asterisk-form is only used for a server-wide OPTIONS \
                request. llhttp accepts "*" for any method.
                """,
            matches: { $0.oursRefused("invalidTarget") && !$0.nioRefused && $0.target == "*" && $0.method != "OPTIONS" }
        ),
        KnownDifference(
            name: "CONNECT without an authority-form target",
            why: """
                RFC 9112 section 3.2.3: a CONNECT target is the authority-form, host ":" port, and \
                nothing else. llhttp accepts any URL, which a server would have to make sense of.
                """,
            matches: {
                $0.oursRefused("invalidTarget") && !$0.nioRefused && $0.method == "CONNECT"
                    && !RequestTarget.isAuthority($0.target[...], requiresPort: true)
            }
        ),
        KnownDifference(
            name: "absolute-form with a scheme other than http or https",
            why: """
                We serve http only: an absolute-form target is http or https (RFC 9112 section 3.2.2). \
                llhttp accepts any scheme.
                """,
            matches: {
                $0.oursRefused("invalidTarget") && !$0.nioRefused && $0.target.contains("://")
                    && !["http", "https"].contains($0.target.prefix { $0 != ":" }.lowercased())
            }
        ),
        KnownDifference(
            name: "empty Transfer-Encoding",
            why: """
                RFC 9112 section 6.3: when Transfer-Encoding is present in a request and chunked is not \
                its final coding, the length cannot be determined and the server MUST answer 400. \
                llhttp takes an empty Transfer-Encoding as no body and would read the body's bytes as \
                the next request: a smuggling vector.
                """,
            matches: { $0.oursRefused("chunkedNotFinal") && !$0.nioRefused && $0.values("Transfer-Encoding") == [""] }
        ),
        KnownDifference(
            name: "chunk extension with an empty value",
            why: """
                RFC 9112 section 7.1.1: chunk-ext-val is a token or a quoted-string, and a token has \
                at least one character: "5;a=" is malformed. llhttp accepts it.
                """,
            matches: { $0.oursRefused("invalidChunkExtension") && !$0.nioRefused && $0.text.contains(";a=\r\n") }
        ),
    ]

    /// NIO refuses, we accept (or wait for the body).
    static let refusedByNIO: [KnownDifference] = [
        KnownDifference(
            name: "method unknown to llhttp",
            why: """
                RFC 9110 section 9.1: a method is any token, and unknown ones are the application's to \
                answer (501 or 405). llhttp knows a fixed list of methods and refuses the rest.
                """,
            matches: { $0.nio == .refused("invalid HTTP method") && $0.method.utf8.allSatisfy(\.isTokenCharacter) }
        ),
        KnownDifference(
            name: "Content-Length list or repeated line of equal values",
            why: """
                RFC 9110 section 8.6: a recipient MAY take "5, 5" (or two equal Content-Length lines) \
                as one value, since they cannot be read two ways. llhttp refuses any repetition.
                """,
            matches: { sample in
                let values = sample.values("Content-Length").flatMap { $0.split(separator: ",") }.map {
                    $0.trimmingCharacters(in: " \t")
                }
                return sample.nioRefused && !sample.ours.isRefused && values.count > 1 && Set(values).count == 1
            }
        ),
        KnownDifference(
            name: "whitespace around ; and = in chunk extensions",
            why: """
                RFC 9112 section 7.1.1 has BWS before ";" and around "=" in chunk-ext, which a \
                recipient MUST parse; llhttp in strict mode refuses it.
                """,
            matches: { $0.nioRefused && $0.ours.request != nil && $0.text.contains("5; a = b\r\n") }
        ),
        KnownDifference(
            name: "Content-Length in the trailer section",
            why: """
                RFC 9110 section 6.5.1: trailer fields are kept apart from the header section and a \
                framing field there has no effect; we return trailers separately and never frame by \
                them. llhttp parses it as a framing field and refuses the message.
                """,
            matches: {
                $0.nioRefused && ($0.ours.request?.trailers.contains { $0.hasPrefix("content-length:") } ?? false)
            }
        ),
    ]

    /// Both accept but read something differently.
    static let readDifferently: [KnownDifference] = [
        KnownDifference(
            name: "CONNECT with a body",
            why: """
                llhttp treats everything after a CONNECT head as tunnel data and reads no body; we \
                frame a CONNECT request like any other (RFC 9112 section 6.3), since the server does \
                not tunnel and must find where the next request starts. So we read (and may refuse, or \
                wait for) a body that NIO never looks at.
                """,
            matches: { sample in
                guard sample.method == "CONNECT", let nio = sample.nio.request, nio.body.isEmpty else { return false }
                switch sample.ours {
                case .accepted(var ours):
                    ours.body = nio.body
                    ours.trailers = nio.trailers
                    return ours == nio
                case .incomplete:
                    return true
                case .refused:
                    // The body was refused, not the head.
                    return Parsers.oursAcceptsHead(sample.bytes)
                }
            }
        ),
        KnownDifference(
            name: "the M-SEARCH method's name",
            why: "NIO names llhttp's M-SEARCH method MSEARCH (HTTPMethod.MSEARCH); we keep the token as sent.",
            matches: { sample in
                guard var ours = sample.ours.request, let nio = sample.nio.request else { return false }
                guard ours.method == "M-SEARCH", nio.method == "MSEARCH" else { return false }
                ours.method = nio.method
                return ours == nio
            }
        ),
        KnownDifference(
            name: "HTTP/1.0 with both keep-alive and close",
            why: """
                RFC 9112 section 9.6: a server that receives a "close" connection option MUST close \
                the connection after its response, whatever else the field says. NIO's isKeepAlive \
                finds keep-alive in an HTTP/1.0 request and keeps the connection.
                """,
            matches: { sample in
                guard var ours = sample.ours.request, let nio = sample.nio.request, !ours.keepAlive, nio.keepAlive
                else { return false }
                let options = sample.values("Connection").flatMap { $0.lowercased().split(separator: ",") }.map {
                    $0.trimmingCharacters(in: " \t")
                }
                ours.keepAlive = true
                return ours == nio && ours.minorVersion == 0 && options.contains("close")
                    && options.contains("keep-alive")
            }
        ),
        KnownDifference(
            name: "whitespace at the end of a field value",
            why: """
                RFC 9110 section 5.5: OWS around a field value is not part of it and a parser should \
                exclude it; llhttp keeps trailing whitespace in the value.
                """,
            matches: { sample in
                guard let ours = sample.ours.request, var nio = sample.nio.request else { return false }
                nio.fields = nio.fields.map { String($0.reversed().drop { $0 == " " || $0 == "\t" }.reversed()) }
                return ours == nio
            }
        ),
    ]
}

extension DifferentialCase {
    /// A LF not after a CR among the empty lines before the request line.
    var hasBareLineFeedBeforeRequestLine: Bool {
        let leading = bytes.prefix { $0 == .cr || $0 == .lf }
        return leading.indices.contains { leading[$0] == .lf && ($0 == 0 || leading[$0 - 1] != .cr) }
    }
}

extension UInt8 {
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")

    /// tchar (RFC 9110 section 5.6.2).
    var isTokenCharacter: Bool {
        (self >= 0x30 && self <= 0x39) || (self | 0x20 >= 0x61 && self | 0x20 <= 0x7A)
            || "!#$%&'*+-.^_`|~".utf8.contains(self)
    }
}
