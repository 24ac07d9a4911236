import AsyncUringSocket
import AsyncUringTestSupport
import Glibc
import Testing

/// The `example-resp` executable as a child process, spoken to in RESP over loopback.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct RespExampleTests {
    @Test func pingEchoSetAndGet() async throws {
        try await withRespServer { address, _ in
            let client = try await TCPConnection.connect(to: address)
            try await expectReply(to: command("PING"), is: "+PONG\r\n", on: client)
            try await expectReply(to: command("ECHO", "hi there"), is: "$8\r\nhi there\r\n", on: client)
            try await expectReply(to: command("SET", "key", "value"), is: "+OK\r\n", on: client)
            try await expectReply(to: command("GET", "key"), is: "$5\r\nvalue\r\n", on: client)
            try await expectReply(to: command("get", "missing"), is: "$-1\r\n", on: client)
            try await client.close()
        }
    }

    @Test func inlineCommandsAreAnswered() async throws {
        try await withRespServer { address, _ in
            let client = try await TCPConnection.connect(to: address)
            try await expectReply(to: "PING\r\n", is: "+PONG\r\n", on: client)
            try await expectReply(to: "ECHO  hello\n", is: "$5\r\nhello\r\n", on: client)
            try await client.close()
        }
    }

    @Test func hundredPipelinedCommandsInOneWriteGetHundredRepliesInOrder() async throws {
        try await withRespServer { address, _ in
            let client = try await TCPConnection.connect(to: address)
            var requests = ""
            var replies = ""
            for index in 0..<50 {
                requests += command("SET", "key\(index)", "value\(index)") + command("GET", "key\(index)")
                replies += "+OK\r\n$\("value\(index)".utf8.count)\r\nvalue\(index)\r\n"
            }
            try await expectReply(to: requests, is: replies, on: client)
            try await client.close()
        }
    }

    @Test func whatRedisBenchmarkAsksFirstIsAnswered() async throws {
        try await withRespServer { address, _ in
            let client = try await TCPConnection.connect(to: address)
            let save = command("CONFIG", "GET", "save")
            try await expectReply(to: save, is: "*2\r\n$4\r\nsave\r\n$0\r\n\r\n", on: client)
            try await expectReply(to: command("COMMAND"), is: "*0\r\n", on: client)
            try await client.close()
        }
    }

    @Test func unknownCommandsAndWrongArgumentsGetErrorsAndTheConnectionStays() async throws {
        try await withRespServer { address, _ in
            let client = try await TCPConnection.connect(to: address)
            try await expectReply(to: command("FLY"), is: "-ERR unknown command 'FLY'\r\n", on: client)
            let wrong = "-ERR wrong number of arguments for 'get' command\r\n"
            try await expectReply(to: command("GET"), is: wrong, on: client)
            try await expectReply(to: command("PING"), is: "+PONG\r\n", on: client)
            try await client.close()
        }
    }

    @Test(arguments: [
        ("*1\r\n$x\r\n", "invalid bulk length"),
        ("*1\r\n+PING\r\n", "expected '$', got '+'"),
        ("*1\r\n$4\r\nPINGxx", "bulk string not followed by CRLF"),
        ("*abc\r\n", "invalid multibulk length"),
    ])
    func malformedFramesGetAnErrorAndAClose(request: String, message: String) async throws {
        try await withRespServer { address, child in
            let client = try await TCPConnection.connect(to: address)
            // A request before the bad one is answered first.
            let reply = "+PONG\r\n-ERR Protocol error: \(message)\r\n"
            try await expectReply(to: command("PING") + request, is: reply, on: client)
            #expect(try await client.receive(timeout: .seconds(10)) == nil, "the server closes the connection")
            try await client.close()
            // The server lives on.
            let next = try await TCPConnection.connect(to: address)
            try await expectReply(to: command("PING"), is: "+PONG\r\n", on: next)
            try await next.close()
            #expect(child.isRunning)
        }
    }

    @Test func theStoreIsSharedByTheConnectionsOfEveryRing() async throws {
        try await withRespServer(arguments: ["--rings", "2"]) { address, _ in
            // Accepted connections go round-robin over the rings: two in a row are on both.
            let first = try await TCPConnection.connect(to: address)
            let second = try await TCPConnection.connect(to: address)
            try await expectReply(to: command("SET", "shared", "yes"), is: "+OK\r\n", on: first)
            try await expectReply(to: command("GET", "shared"), is: "$3\r\nyes\r\n", on: second)
            try await first.close()
            try await second.close()
        }
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func aTerminationSignalEndsItWithExitZero(signal: Int32) async throws {
        try await withRespServer { address, child in
            let client = try await TCPConnection.connect(to: address)
            try await expectReply(to: command("PING"), is: "+PONG\r\n", on: client)
            try await client.close()
            child.signal(signal)
            let status = await child.waitForExit(timeout: .seconds(20))
            #expect(status == .exited(0), "stderr: \(child.standardError)")
        }
    }
}

/// Runs `body` with a fresh `example-resp` on a free port; kills it afterwards if it runs.
func withRespServer(
    arguments: [String] = [],
    _ body: (_ address: SocketAddress, _ child: ExampleProcess) async throws -> Void
) async throws {
    let executable = try #require(builtExecutable("example-resp"), "example-resp is built beside the tests")
    let child = try ExampleProcess(executable, arguments: ["--port", "0", "--grace-period-seconds", "5"] + arguments)
    defer { child.kill() }
    let port = try #require(try await child.announcedPort(), "no 'listening on' line: \(child.standardError)")
    #expect(child.standardOutput == "listening on 127.0.0.1:\(port)\n")
    try await body(try SocketAddress("127.0.0.1:\(port)"), child)
}

/// A multibulk request.
func command(_ arguments: String...) -> String {
    "*\(arguments.count)\r\n" + arguments.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined()
}

/// Sends `request` in one write and expects exactly `reply` back.
func expectReply(
    to request: String,
    is reply: String,
    on client: TCPConnection,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    try await client.send(Array(request.utf8))
    var reader = client.reader()
    let received = try await reader.read(exactly: reply.utf8.count, timeout: .seconds(10))
    #expect(String(decoding: received, as: UTF8.self) == reply, sourceLocation: sourceLocation)
    #expect(reader.buffer.isEmpty, "nothing more than the reply", sourceLocation: sourceLocation)
}
