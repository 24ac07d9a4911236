import ArgumentParser
import Foundation

/// An HTTP server `uring-bench http-run` can measure. Every one serves `GET /plaintext`,
/// `GET /json` and `POST /echo`, and answers 404 to anything else.
enum HTTPServerKind: String, CaseIterable, Codable, Sendable {
    /// `uring-bench http-server --driver io_uring`: AsyncUringHTTP, the server under test.
    case asyncUring = "async-uring"
    /// The same server on the epoll fallback driver (`--driver epoll`).
    case asyncUringEpoll = "async-uring-epoll"
    /// Hummingbird 2 on AsyncUringSocket, from the Benchmarks package.
    case hummingbirdUring = "hummingbird-uring"
    /// Hummingbird 2 on SwiftNIO with one event loop thread, from the Benchmarks package.
    case hummingbirdNIO = "hummingbird-nio"
    /// nginx with one worker process, configured by the runner: the yardstick.
    case nginx

    /// Whether the server is built on this package: its failed runs fail `http-run`; a
    /// peer's failed runs (Hummingbird on SwiftNIO times out under 16-deep pipelining, and
    /// closes without `Connection: close`) are its result, reported and drawn as failures.
    var isBuiltOnThisPackage: Bool {
        switch self {
        case .asyncUring, .asyncUringEpoll, .hummingbirdUring: true
        case .hummingbirdNIO, .nginx: false
        }
    }

    /// The Benchmarks package's executable for the Hummingbird servers.
    var benchmarksProduct: String? {
        switch self {
        case .hummingbirdUring: "hummingbird-uring-http"
        case .hummingbirdNIO: "hummingbird-nio-http"
        case .asyncUring, .asyncUringEpoll, .nginx: nil
        }
    }

    /// The arguments after the executable for the servers that announce their port: one ring
    /// or event loop thread, port 0.
    var announcingArguments: [String] {
        let common = ["--host", "127.0.0.1", "--port", "0", "--rings", "1"]
        switch self {
        case .asyncUring: return ["http-server"] + common + ["--driver", "io_uring"]
        case .asyncUringEpoll: return ["http-server"] + common + ["--driver", "epoll"]
        case .hummingbirdUring, .hummingbirdNIO, .nginx: return common
        }
    }

    /// Parses `--servers`: a comma-separated list of names, none twice.
    /// - Throws: `ValidationError` naming the unknown or repeated server.
    static func parseList(_ text: String) throws -> [HTTPServerKind] {
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        let kinds = try names.map { name in
            guard let kind = HTTPServerKind(rawValue: name) else {
                throw ValidationError(
                    "unknown server '\(name)'; known: \(allCases.map(\.rawValue).joined(separator: ","))"
                )
            }
            return kind
        }
        guard Set(kinds).count == kinds.count else { throw ValidationError("--servers lists a server twice: \(text)") }
        return kinds
    }
}

/// An HTTP server with the program that runs it.
struct HTTPBenchServer: Sendable {
    var kind: HTTPServerKind
    var executable: String

    var name: String { kind.rawValue }

    /// Finds each wanted server's program; a missing one is left out with a note.
    /// - Parameters:
    ///   - selfExecutable: this program, which is also the AsyncUringHTTP server.
    ///   - benchmarksDirectory: where the Benchmarks package put its release binaries.
    ///   - nginx: the nginx binary, if one was found.
    static func locate(
        _ kinds: [HTTPServerKind],
        selfExecutable: String,
        benchmarksDirectory: String,
        nginx: String?
    ) -> (servers: [HTTPBenchServer], notes: [String]) {
        var servers: [HTTPBenchServer] = []
        var notes: [String] = []
        for kind in kinds {
            switch kind {
            case .asyncUring, .asyncUringEpoll:
                servers.append(HTTPBenchServer(kind: kind, executable: selfExecutable))
            case .hummingbirdUring, .hummingbirdNIO:
                let product = kind.benchmarksProduct ?? kind.rawValue
                let path = "\(benchmarksDirectory)/\(product)"
                if isExecutable(path) {
                    servers.append(HTTPBenchServer(kind: kind, executable: path))
                } else {
                    notes.append(
                        "skipping \(kind.rawValue): \(path) not found (build it with "
                            + "`swift build -c release --package-path Benchmarks --product \(product)`)"
                    )
                }
            case .nginx:
                if let nginx {
                    servers.append(HTTPBenchServer(kind: kind, executable: nginx))
                } else {
                    notes.append("skipping nginx: no nginx on PATH or at /usr/sbin/nginx (apt-get install nginx-light)")
                }
            }
        }
        return (servers, notes)
    }
}

/// The first executable named `name` in the directories of `PATH`, then in `fallbacks`.
func findExecutable(_ name: String, fallbacks: [String] = []) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    let candidates = path.split(separator: ":").map { "\($0)/\(name)" } + fallbacks
    return candidates.first(where: isExecutable)
}
