import AsyncUringSocket
import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTP1

@testable import AsyncUringHTTP

/// What a parser made of one request's bytes, in terms both parsers share.
enum ParserOutcome: Equatable, CustomStringConvertible {
    /// The first request, head and body, was read.
    case accepted(ParsedRequest)
    /// More bytes were needed.
    case incomplete
    case refused(String)

    var isRefused: Bool {
        if case .refused = self { return true }
        return false
    }

    var request: ParsedRequest? {
        if case .accepted(let request) = self { return request }
        return nil
    }

    var description: String {
        switch self {
        case .accepted(let request): "accepted \(request)"
        case .incomplete: "incomplete"
        case .refused(let reason): "refused (\(reason))"
        }
    }
}

/// A request as both parsers see it: `Host` is kept apart (our parser makes it the
/// request's authority), names are lowercased (ours gives some names their canonical case).
struct ParsedRequest: Equatable, CustomStringConvertible {
    var method: String
    var target: String
    var minorVersion: Int
    var host: String?
    var fields: [String]
    var body: [UInt8]
    var trailers: [String]
    var keepAlive: Bool

    var description: String {
        "\(method) \(target) 1.\(minorVersion) host \(host ?? "-") \(fields) body \(body.count) trailers \(trailers)"
            + " keep-alive \(keepAlive)"
    }
}

enum Parsers {
    /// Our head parser and body decoder on `bytes`.
    static func ours(_ bytes: [UInt8]) -> ParserOutcome {
        var parser = HTTPRequestHeadParser()
        do {
            guard let (head, length) = try bytes.withUnsafeBytes({ try parser.parse($0) }) else { return .incomplete }
            var decoder = HTTPBodyDecoder(framing: head.framing, limits: parser.limits)
            var buffer = BufferedBytes(bytes[length...])
            var body: [UInt8] = []
            var trailers: HTTPFields?
            while !decoder.isDone, !buffer.isEmpty, let part = try decoder.decode(&buffer) {
                switch part {
                case .bytes(let chunk): body += chunk
                case .end(let fields): trailers = fields
                }
            }
            guard decoder.isDone else { return .incomplete }
            let request = head.request
            // For absolute-form the authority came from the target; `Host` was checked and
            // dropped. Compare against the request line's target for every form.
            let line = bytes[bytes.firstIndex { $0 != .cr && $0 != .lf }!...]
            let target = line.split(separator: .space, maxSplits: 2)[1]
            let isOriginOrAsterisk = target.first == UInt8(ascii: "/") || target.first == UInt8(ascii: "*")
            return .accepted(
                ParsedRequest(
                    method: request.method.rawValue,
                    target: String(decoding: target, as: UTF8.self),
                    minorVersion: head.minorVersion,
                    host: isOriginOrAsterisk ? request.authority : hostField(bytes),
                    fields: request.headerFields.map { "\($0.name.canonicalName): \($0.value)" },
                    body: body,
                    trailers: (trailers ?? [:]).map { "\($0.name.canonicalName): \($0.value)" },
                    keepAlive: head.keepAlive
                )
            )
        } catch let error as HTTPRequestError {
            return .refused("\(error.reason)")
        } catch {
            return .refused("\(error)")
        }
    }

    /// Whether our parser accepts the head of `bytes` (whatever follows it).
    static func oursAcceptsHead(_ bytes: [UInt8]) -> Bool {
        var parser = HTTPRequestHeadParser()
        return (try? bytes.withUnsafeBytes { try parser.parse($0) }) != nil
    }

    /// The `Host` field's value, trimmed, for targets that carry their own authority.
    static func hostField(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\r\n") where line.lowercased().hasPrefix("host:") {
            return line.dropFirst(5).trimmingCharacters(in: " \t")
        }
        return nil
    }

    /// SwiftNIO's `HTTPRequestDecoder` (llhttp) in an `EmbeddedChannel`, on `bytes`.
    static func nio(_ bytes: [UInt8]) -> ParserOutcome {
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish() }
        var error: (any Error)?
        do {
            try channel.pipeline.syncOperations.addHandler(
                ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes))
            )
            try channel.writeInbound(channel.allocator.buffer(bytes: bytes))
        } catch let caught {
            error = caught
        }
        var head: NIOHTTP1.HTTPRequestHead?
        var body: [UInt8] = []
        while let part = try? channel.readInbound(as: HTTPServerRequestPart.self) {
            switch part {
            case .head(let received):
                head = received
            case .body(var buffer):
                body += buffer.readBytes(length: buffer.readableBytes)!
            case .end(let trailers):
                guard let head else { return .refused("an end without a head") }
                // The first request only: a second one in the same bytes is not compared.
                return .accepted(
                    ParsedRequest(
                        method: head.method.rawValue,
                        target: head.uri,
                        minorVersion: head.version.minor,
                        host: head.headers["Host"].first,
                        fields: head.headers.filter { $0.name.lowercased() != "host" }.map {
                            "\($0.name.lowercased()): \($0.value)"
                        },
                        body: body,
                        trailers: (trailers ?? [:]).map { "\($0.name.lowercased()): \($0.value)" },
                        keepAlive: head.isKeepAlive
                    )
                )
            }
        }
        if let error { return .refused("\(error)") }
        return .incomplete
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
