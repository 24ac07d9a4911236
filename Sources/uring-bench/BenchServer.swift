import AsyncUring
import Foundation

/// An echo server the runner can measure: TCP by default, UDP with `run --udp`.
enum ServerKind: String, CaseIterable, Codable, Sendable {
    /// `uring-bench echo-server`: AsyncUringSocket, the server under test, on io_uring.
    case asyncUring = "async-uring"
    /// The same server on the epoll fallback (`--driver epoll`); its peer is
    /// `nio-echo-handler`, SwiftNIO on epoll.
    case asyncUringEpoll = "async-uring-epoll"
    /// SwiftNIO peers from the Benchmarks package.
    case nioEchoHandler = "nio-echo-handler"
    case nioEchoAsync = "nio-echo-async"
    /// C yardsticks from shared/bench.
    case echoUring = "echo_uring"
    case echoEpoll = "echo_epoll"
    /// `uring-bench udp-echo-server` on io_uring and on the epoll fallback.
    case asyncUringUDP = "async-uring-udp"
    case asyncUringUDPEpoll = "async-uring-udp-epoll"
    /// The SwiftNIO UDP peer from the Benchmarks package, when built.
    case nioUDPEcho = "nio-udp-echo"
    /// The C UDP yardstick from shared/bench: epoll with recvmmsg/sendmmsg.
    case udpEcho = "udp_echo"

    /// The protocol a server echoes over.
    enum Transport: String, Sendable {
        case tcp
        case udp
    }

    var transport: Transport {
        switch self {
        case .asyncUring, .asyncUringEpoll, .nioEchoHandler, .nioEchoAsync, .echoUring, .echoEpoll: .tcp
        case .asyncUringUDP, .asyncUringUDPEpoll, .nioUDPEcho, .udpEcho: .udp
        }
    }

    /// Whether the server is built on this package: its failed runs fail `run`; a peer's or
    /// yardstick's failed runs are its result, reported and drawn as failures.
    var isBuiltOnThisPackage: Bool {
        switch self {
        case .asyncUring, .asyncUringEpoll, .asyncUringUDP, .asyncUringUDPEpoll: true
        case .nioEchoHandler, .nioEchoAsync, .echoUring, .echoEpoll, .nioUDPEcho, .udpEcho: false
        }
    }

    /// Every server over `transport`, in declaration order: the default `--servers`.
    static func all(_ transport: Transport) -> [ServerKind] { allCases.filter { $0.transport == transport } }

    /// How the runner knows the server accepts connections.
    enum Readiness: Equatable {
        /// It prints `listening on HOST:PORT` to stdout (and takes `--port 0`).
        case announcement
        /// It prints to stderr only; the runner connects to the port it chose until one
        /// connection succeeds.
        case acceptsConnection
        /// It prints to stderr only; the runner sends a datagram to the port it chose until
        /// one comes back.
        case answersDatagram
    }

    var readiness: Readiness {
        switch self {
        case .asyncUring, .asyncUringEpoll, .nioEchoHandler, .nioEchoAsync: .announcement
        case .asyncUringUDP, .asyncUringUDPEpoll, .nioUDPEcho: .announcement
        case .echoUring, .echoEpoll: .acceptsConnection
        case .udpEcho: .answersDatagram
        }
    }

    var isCYardstick: Bool { readiness != .announcement }

    /// The driver our echo server is told to run on: never the automatic choice, which could
    /// fall back and measure epoll under the io_uring name.
    var driver: RingDriver? {
        switch self {
        case .asyncUring, .asyncUringUDP: .ioUring
        case .asyncUringEpoll, .asyncUringUDPEpoll: .epoll
        case .nioEchoHandler, .nioEchoAsync, .echoUring, .echoEpoll, .nioUDPEcho, .udpEcho: nil
        }
    }

    /// The arguments after the executable; `port` is used by the C servers only, the others
    /// get port 0 and announce theirs. Every server runs one thread or ring.
    func arguments(port: Int) -> [String] {
        switch self {
        case .asyncUring, .asyncUringEpoll:
            ["echo-server", "--host", "127.0.0.1", "--port", "0", "--rings", "1"]
                + (driver.map { ["--driver", $0.rawValue] } ?? [])
        case .asyncUringUDP, .asyncUringUDPEpoll:
            // udp_echo asks for 8 MiB of SO_RCVBUF; ours gets the same, so that a full
            // receive queue (which drops datagrams) is not what the comparison measures.
            [
                "udp-echo-server", "--host", "127.0.0.1", "--port", "0",
                "--receive-buffer-size", "\(Self.udpReceiveBufferSize)",
            ] + (driver.map { ["--driver", $0.rawValue] } ?? [])
        case .nioEchoHandler, .nioEchoAsync: ["--host", "127.0.0.1", "--port", "0", "--rings", "1"]
        case .nioUDPEcho: ["--host", "127.0.0.1", "--port", "0"]
        case .echoUring, .echoEpoll, .udpEcho: ["\(port)"]
        }
    }

    /// The receive buffer udp_echo sets (`SO_RCVBUF`, 8 MiB, capped by `net.core.rmem_max`).
    static let udpReceiveBufferSize = 8 << 20

    /// Parses `--servers`: a comma-separated list of names.
    static func parseList(_ text: String) throws -> [ServerKind] {
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        let kinds = try names.map { name in
            guard let kind = ServerKind(rawValue: name) else {
                throw RunOptionsError(
                    "unknown server '\(name)'; known: \(allCases.map(\.rawValue).joined(separator: ","))"
                )
            }
            return kind
        }
        guard Set(kinds).count == kinds.count else { throw RunOptionsError("--servers lists a server twice: \(text)") }
        return kinds
    }
}

/// A server with the program that runs it.
struct BenchServer: Sendable {
    var kind: ServerKind
    var executable: String

    var name: String { kind.rawValue }

    /// Finds each wanted server's program; a missing one is left out with a note.
    /// - Parameters:
    ///   - selfExecutable: this program, which is also the AsyncUringSocket echo server.
    ///   - nioDirectory: where the Benchmarks package put its release binaries.
    ///   - yardstickDirectory: where the C echo servers are, if given.
    static func locate(
        _ kinds: [ServerKind],
        selfExecutable: String,
        nioDirectory: String,
        yardstickDirectory: String?
    ) -> (servers: [BenchServer], notes: [String]) {
        var servers: [BenchServer] = []
        var notes: [String] = []
        for kind in kinds {
            switch kind {
            case .asyncUring, .asyncUringEpoll, .asyncUringUDP, .asyncUringUDPEpoll:
                servers.append(BenchServer(kind: kind, executable: selfExecutable))
            case .nioEchoHandler, .nioEchoAsync, .nioUDPEcho:
                let path = "\(nioDirectory)/\(kind.rawValue)"
                if isExecutable(path) {
                    servers.append(BenchServer(kind: kind, executable: path))
                } else {
                    notes.append(
                        "skipping \(kind.rawValue): \(path) not found (build it with `swift build -c release --package-path Benchmarks`)"
                    )
                }
            case .echoUring, .echoEpoll, .udpEcho:
                guard let yardstickDirectory else {
                    notes.append("skipping \(kind.rawValue): no --c-yardsticks DIR given")
                    continue
                }
                let path = "\(yardstickDirectory)/\(kind.rawValue)"
                if isExecutable(path) {
                    servers.append(BenchServer(kind: kind, executable: path))
                } else {
                    notes.append(
                        "skipping \(kind.rawValue): \(path) not found (build it from shared/bench, or pass --c-sources)"
                    )
                }
            }
        }
        return (servers, notes)
    }
}

/// Whether `path` is an executable regular file.
func isExecutable(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
        && FileManager.default.isExecutableFile(atPath: path)
}

/// This program's own path, from /proc/self/exe.
func selfExecutablePath() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}

/// A bad `run` option, reported like ArgumentParser's validation errors.
struct RunOptionsError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
