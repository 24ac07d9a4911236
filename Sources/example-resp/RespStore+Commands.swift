extension RespStore {
    /// Runs `command` and appends its reply to `replies`; an empty command gets none.
    ///
    /// PING, ECHO, SET, GET, and what redis-benchmark asks at its start: `CONFIG GET NAME`
    /// is answered with the name and an empty value, `COMMAND` with an empty array.
    func execute(_ command: RespCommand, into replies: inout [UInt8]) {
        guard let name = command.arguments.first else { return }
        let arguments = command.arguments.dropFirst()
        switch String(decoding: name, as: UTF8.self).uppercased() {
        case "PING" where arguments.isEmpty:
            replies.appendSimpleString("PONG")
        case "PING" where arguments.count == 1, "ECHO" where arguments.count == 1:
            replies.appendBulkString(arguments.first)
        case "SET" where arguments.count == 2:
            set(arguments[1], to: arguments[2])
            replies.appendSimpleString("OK")
        case "SET" where arguments.count > 2:
            replies.appendError("syntax error")
        case "GET" where arguments.count == 1:
            replies.appendBulkString(value(for: arguments[1]))
        case "COMMAND":
            replies.appendArrayHeader(count: 0)
        case "CONFIG" where arguments.count == 2 && String(decoding: arguments[1], as: UTF8.self).uppercased() == "GET":
            replies.appendArrayHeader(count: 2)
            replies.appendBulkString(arguments[2])
            replies.appendBulkString([])
        case "CONFIG" where !arguments.isEmpty:
            replies.appendError("only CONFIG GET with one parameter is supported")
        case "PING", "ECHO", "SET", "GET", "CONFIG":
            let lowercased = String(decoding: name, as: UTF8.self).lowercased()
            replies.appendError("wrong number of arguments for '\(lowercased)' command")
        default:
            let shown = String(decoding: name.prefix(64), as: UTF8.self)
            replies.appendError("unknown command '\(shown)'")
        }
    }
}
