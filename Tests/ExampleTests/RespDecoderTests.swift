import AsyncUringSocket
import Testing

@testable import example_resp

/// The RESP decoder and the commands, without a kernel.
@Suite struct RespDecoderTests {
    static let pipelined = Array("*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\nPING\r\n*1\r\n$4\r\nPING\r\n".utf8)
    static let commands = [["ECHO", "hello"], ["PING"], ["PING"]].map {
        RespCommand(arguments: $0.map { Array($0.utf8) })
    }

    /// Decodes what `chunks` bring, one chunk at a time, as a reader would.
    func decode(_ chunks: [[UInt8]]) throws -> (commands: [RespCommand], left: Int) {
        var buffer = BufferedBytes()
        var commands: [RespCommand] = []
        for chunk in chunks {
            buffer.append(contentsOf: chunk)
            while !buffer.isEmpty, let command = try RespDecoder().decode(&buffer) { commands.append(command) }
        }
        return (commands, buffer.count)
    }

    @Test func pipelinedRequestsInOneChunk() throws {
        let decoded = try decode([Self.pipelined])
        #expect(decoded.commands == Self.commands)
        #expect(decoded.left == 0)
    }

    @Test func requestsArrivingByteByByteNeedMoreUntilWhole() throws {
        let decoded = try decode(Self.pipelined.map { [$0] })
        #expect(decoded.commands == Self.commands)
        #expect(decoded.left == 0)
    }

    @Test(arguments: [
        ("*1\r\n$-1\r\n", "invalid bulk length"),
        ("*1\r\n:1\r\n", "expected '$', got ':'"),
        ("*99999999999999999999999\r\n", "invalid multibulk length"),
        ("*1\r\n$3\r\nabcdef", "bulk string not followed by CRLF"),
        ("*1\r\n$2000000000\r\n", "invalid bulk length"),
    ])
    func malformedRequestsThrow(request: String, message: String) {
        #expect(throws: RespProtocolError(message: message)) { try decode([Array(request.utf8)]) }
    }

    @Test func anInlineRequestWithoutNewlineIsLimited() throws {
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: RespDecoder.maxInlineLength + 1)
        #expect(throws: RespProtocolError(message: "too big inline request")) { try decode([long]) }
    }

    @Test func emptyArraysAndLinesAreNoCommands() throws {
        let decoded = try decode([Array("*0\r\n\r\n  \n".utf8)])
        #expect(decoded.commands.allSatisfy { $0.count == 0 })
        #expect(decoded.left == 0)
        var replies: [UInt8] = []
        for command in decoded.commands { RespStore().execute(command, into: &replies) }
        #expect(replies.isEmpty)
    }

    @Test(arguments: [
        (["PING", "hi"], "$2\r\nhi\r\n"),
        (["SET", "k", "v", "EX", "10"], "-ERR syntax error\r\n"),
        (["ECHO"], "-ERR wrong number of arguments for 'echo' command\r\n"),
        (["CONFIG", "SET", "save", ""], "-ERR only CONFIG GET with one parameter is supported\r\n"),
        (["CONFIG"], "-ERR wrong number of arguments for 'config' command\r\n"),
        (["CONFIG", "get", "appendonly"], "*2\r\n$10\r\nappendonly\r\n$0\r\n\r\n"),
        (["bad\r\nname"], "-ERR unknown command 'bad  name'\r\n"),
    ])
    func replies(arguments: [String], reply: String) {
        var replies: [UInt8] = []
        RespStore().execute(RespCommand(arguments: arguments.map { Array($0.utf8) }), into: &replies)
        #expect(String(decoding: replies, as: UTF8.self) == reply)
    }
}
