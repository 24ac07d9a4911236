/// One measured `http-run` run: a server under one shape's load in one repetition.
/// `--json FILE` writes all of them.
struct HTTPRunRecord: Codable, Equatable, Sendable {
    var server: String
    var shape: HTTPShape
    var repetition: Int
    var path: String
    var durationSeconds: Int
    var warmupSeconds: Int
    /// wrk's exit status, nil when it had to be stopped.
    var wrkExitStatus: Int32?
    /// wrk's figures, nil when its report could not be read.
    var wrk: WrkReport?
    /// CPU microseconds all the server's processes used during the measured run.
    var serverCPUMicroseconds: Double?
    /// Other processes' CPU time and the hypervisor's steal during the measured run, as
    /// shares of one CPU (``InterferenceSample``).
    var interference: Double? = nil
    var steal: Double? = nil

    var requestsPerSecond: Double? { wrk?.requestsPerSecond }
    var p50Microseconds: Double? { wrk?.latencyMicroseconds[50] }
    var p99Microseconds: Double? { wrk?.latencyMicroseconds[99] }

    /// The server's CPU time per response of the measured run.
    var serverMicrosecondsPerRequest: Double? {
        guard let serverCPUMicroseconds, let requests = wrk?.requests, requests > 0 else { return nil }
        return serverCPUMicroseconds / Double(requests)
    }

    /// What went wrong, empty for a good run: wrk failed, a response was not 2xx or 3xx, or
    /// a socket error (connect, read, write, timeout) happened.
    var problems: [String] {
        guard wrkExitStatus == 0 else { return ["wrk exit status \(wrkExitStatus.map(String.init) ?? "none")"] }
        guard let wrk else { return ["no wrk report"] }
        var problems: [String] = []
        if wrk.requests == 0 { problems.append("no response") }
        if wrk.non2xx3xx > 0 { problems.append("\(wrk.non2xx3xx) non-2xx/3xx") }
        if wrk.socketErrors > 0 {
            problems.append(
                "socket errors: connect \(wrk.connectErrors), read \(wrk.readErrors), "
                    + "write \(wrk.writeErrors), timeout \(wrk.timeouts)"
                    + (isUnannouncedCloseOnly ? Self.unannouncedCloseHint : "")
            )
        }
        return problems
    }

    var isSuccess: Bool { problems.isEmpty }

    /// Whether failed runs fail `http-run`: a run of a server built on this package (or one
    /// the runner does not know) does.
    static func failsTheCommand(_ failed: [HTTPRunRecord]) -> Bool {
        failed.contains { HTTPServerKind(rawValue: $0.server)?.isBuiltOnThisPackage ?? true }
    }

    /// Whether the only socket errors are read errors, at most one per response, in the
    /// `close` shape: the pattern of a server that closes after each response as asked but
    /// does not say `Connection: close` in the response (RFC 9112 section 9.6: it SHOULD).
    /// wrk then takes the connection for kept alive, writes the next request, reads end of
    /// stream and counts a read error before it reconnects. nginx says `Connection: close`
    /// and gets none. The run still fails: a client cannot tell this close from a dropped
    /// connection.
    var isUnannouncedCloseOnly: Bool {
        guard shape.closesConnections, let wrk else { return false }
        return wrk.readErrors > 0 && wrk.readErrors <= wrk.requests && wrk.connectErrors == 0 && wrk.writeErrors == 0
            && wrk.timeouts == 0
    }

    static let unannouncedCloseHint =
        " (in the close shape, the sign of a server that closes without `Connection: close` in its response)"
}
