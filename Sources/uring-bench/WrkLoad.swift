import Foundation

/// One wrk run against a server: `wrk -t1 -c N -d S --latency`, pinned to the load CPU.
struct WrkLoad: Sendable {
    /// The wrk executable.
    var executable: String
    var shape: HTTPShape
    /// Whole seconds: wrk's `-d` takes no fractions.
    var seconds: Int
    /// The request path, `/plaintext` unless told otherwise.
    var path: String
    /// The Lua script that pipelines requests, for shapes with a pipeline depth above 1.
    var scriptPath: String?

    /// wrk's timeout for a response (`--timeout`); a slower one counts as a socket error.
    static let responseTimeout = "2s"

    /// The arguments after the executable for a server on 127.0.0.1:`port`.
    func arguments(port: Int) -> [String] {
        var arguments = [
            "-t1", "-c\(shape.connections)", "-d\(seconds)s", "--timeout", Self.responseTimeout, "--latency",
        ]
        if shape.closesConnections { arguments += ["-H", "Connection: close"] }
        if let scriptPath, shape.pipelineDepth > 1 { arguments += ["-s", scriptPath] }
        return arguments + ["http://127.0.0.1:\(port)\(path)"]
    }

    /// The Lua script that sends `depth` requests at once on every connection, as wrk's
    /// `scripts/pipeline.lua` does: `init` formats the request (wrk's method, path and
    /// headers) `depth` times, and `request` returns them all; wrk counts the requests in
    /// the text and reads that many responses before it writes again.
    static func pipelineScript(depth: Int) -> String {
        """
        -- Written by uring-bench http-run: \(depth) requests pipelined on every connection.
        init = function(args)
           local requests = {}
           for i = 1, \(depth) do
              requests[i] = wrk.format()
           end
           pipelined = table.concat(requests)
        end

        request = function()
           return pipelined
        end

        """
    }

    /// Runs wrk and waits for it, at most its duration + 30 s; a wrk still running then is
    /// stopped and reported without figures.
    func run(port: Int, pinning: CPUPinning) async throws -> WrkOutcome {
        let (executable, arguments) = pinning.command(
            self.executable,
            arguments(port: port),
            cpu: pinning.loadCPU
        )
        let child = try ChildProcess.launch(
            name: "wrk",
            executable: executable,
            arguments: arguments,
            capturesStandardError: true
        )
        let limit = Duration.seconds(seconds + 30)
        let status = await child.waitForExit(timeout: limit)
        await child.terminate(timeout: .seconds(2))
        let output = child.output.lines.joined(separator: "\n")
        var log = [output, child.errorOutput?.tail(6) ?? ""].filter { !$0.isEmpty }.joined(separator: "\n")
        if status == nil { log += "\n(wrk stopped after \(limit))" }
        return WrkOutcome(report: status == 0 ? WrkReport.parse(output) : nil, exitStatus: status, output: log)
    }
}

/// What one wrk run gave: its figures (nil when it failed), exit status and text.
struct WrkOutcome: Sendable {
    var report: WrkReport?
    var exitStatus: Int32?
    var output: String
}
