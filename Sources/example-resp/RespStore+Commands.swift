extension RespStore {
    /// Runs `command` and appends its reply to `replies`; an empty command gets none.
    ///
    /// PING, ECHO, SET, GET, and what redis-benchmark asks at its start: `CONFIG GET NAME`
    /// is answered with the name and an empty value, `COMMAND` with an empty array.
    func execute(_ command: RespCommand, into replies: inout [UInt8]) {
        guard command.count > 0 else { return }
        let argumentCount = command.count - 1
        switch RespCommandName(command[0]) {
        case .ping where argumentCount == 0:
            replies.appendSimpleString("PONG")
        case .ping where argumentCount == 1, .echo where argumentCount == 1:
            replies.appendBulkString(command[1])
        case .set where argumentCount == 2:
            set(command[1], to: command[2])
            replies.appendSimpleString("OK")
        case .set where argumentCount > 2:
            replies.appendError("syntax error")
        case .get where argumentCount == 1:
            replies.appendBulkString(value(for: command[1]))
        case .command:
            replies.appendArrayHeader(count: 0)
        case .config where argumentCount == 2 && RespCommandName(command[1]) == .get:
            replies.appendArrayHeader(count: 2)
            replies.appendBulkString(command[2])
            replies.appendBulkString([])
        case .config where argumentCount > 0:
            replies.appendError("only CONFIG GET with one parameter is supported")
        case .ping, .echo, .set, .get, .config:
            let lowercased = String(decoding: command[0], as: UTF8.self).lowercased()
            replies.appendError("wrong number of arguments for '\(lowercased)' command")
        case .other:
            let shown = String(decoding: command[0].prefix(64), as: UTF8.self)
            replies.appendError("unknown command '\(shown)'")
        }
    }
}

/// The commands the server knows, their names matched without regard to ASCII case and
/// without making a string.
enum RespCommandName {
    case ping, echo, set, get, command, config, other

    init(_ name: ArraySlice<UInt8>) {
        func matches(_ known: StaticString) -> Bool {
            known.utf8CodeUnitCount == name.count
                && known.withUTF8Buffer { known in
                    zip(known, name).allSatisfy { known, byte in
                        known == ((UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) ? byte - 32 : byte)
                    }
                }
        }
        self =
            if matches("PING") {
                .ping
            } else if matches("ECHO") {
                .echo
            } else if matches("SET") {
                .set
            } else if matches("GET") {
                .get
            } else if matches("COMMAND") {
                .command
            } else if matches("CONFIG") {
                .config
            } else {
                .other
            }
    }
}
