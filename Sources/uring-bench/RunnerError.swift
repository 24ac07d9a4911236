/// Why `uring-bench run` stopped.
enum RunnerError: Error, CustomStringConvertible {
    case launchFailed(name: String, detail: String)
    case serverFailedToStart(name: String, reason: String, log: String)
    case serverDied(name: String, status: Int32?, log: String)
    case buildFailed(program: String, log: String)
    case interrupted

    var description: String {
        switch self {
        case .launchFailed(let name, let detail):
            return "could not start \(name): \(detail)"
        case .serverFailedToStart(let name, let reason, let log):
            return "server \(name) failed to start: \(reason)" + Self.logSuffix(log)
        case .serverDied(let name, let status, let log):
            let how = status.map { "exit status \($0)" } ?? "unknown status"
            return "server \(name) died during the run (\(how))" + Self.logSuffix(log)
        case .buildFailed(let program, let log):
            return "building \(program) failed" + Self.logSuffix(log)
        case .interrupted:
            return "interrupted"
        }
    }

    private static func logSuffix(_ log: String) -> String {
        log.isEmpty ? "" : "; its last output:\n\(log)"
    }
}
