import AsyncUringSocket
import AsyncUringTestSupport
import Glibc
import Testing

/// `example-chat` as a child process, with clients on real loopback connections.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ChatExampleTests {
    /// A chat client: reads whole lines.
    struct Client {
        let connection: TCPConnection
        var reader: BufferedReader<TCPConnection>

        init(port: Int) async throws {
            connection = try await TCPConnection.connect(to: "127.0.0.1:\(port)", timeout: .seconds(5))
            reader = connection.reader()
        }

        var name: String { get throws { "\(try connection.localAddress)" } }

        mutating func line() async throws -> String? {
            try await reader.read(until: UInt8(ascii: "\n"), maxLength: 8192, timeout: .seconds(10))
                .map { String(decoding: $0, as: UTF8.self) }
        }

        func say(_ text: String) async throws {
            try await connection.send(text + "\n")
        }
    }

    /// Starts the server with `rings` rings.
    func startChat(rings: Int = 2, _ arguments: [String] = []) async throws -> (ExampleProcess, Int) {
        let executable = try #require(builtExecutable("example-chat"), "example-chat is built beside the tests")
        let chat = try ExampleProcess(executable, arguments: ["--port", "0", "--rings", "\(rings)"] + arguments)
        let port = try #require(try await chat.announcedPort(), "no 'listening on' line: \(chat.standardError)")
        return (chat, port)
    }

    @Test func linesGoToEveryOtherClientAcrossRings() async throws {
        let (chat, port) = try await startChat()
        defer { chat.kill() }
        // Four clients, spread round-robin over both rings.
        var clients: [Client] = []
        for index in 0..<4 {
            var client = try await Client(port: port)
            #expect(try await client.line() == "* welcome \(try client.name), \(index + 1) online")
            for earlier in clients.indices {
                #expect(try await clients[earlier].line() == "* \(try client.name) joined")
            }
            clients.append(client)
        }

        // Split across packets and ended by CRLF: still one line.
        try await clients[0].connection.send("hello, ")
        try await Task.sleep(for: .milliseconds(20))
        try await clients[0].connection.send("everyone\r\n")
        for index in 1..<4 {
            #expect(try await clients[index].line() == "[\(try clients[0].name)] hello, everyone")
        }

        // Many lines in one write arrive whole and in order; the sender hears none of its own.
        let burst = (0..<200).map { "line \($0)" }
        try await clients[1].connection.send(burst.joined(separator: "\n") + "\n")
        for index in [0, 2, 3] {
            for text in burst {
                #expect(try await clients[index].line() == "[\(try clients[1].name)] \(text)")
            }
        }

        // A client that leaves is announced to the rest.
        let leaving = try clients[3].name
        try await clients[3].connection.close()
        clients.removeLast()
        for index in clients.indices {
            #expect(try await clients[index].line() == "* \(leaving) left")
        }
        try await clients[2].say("last")
        #expect(try await clients[0].line() == "[\(try clients[2].name)] last")
        #expect(try await clients[1].line() == "[\(try clients[2].name)] last")

        chat.signal(SIGTERM)
        for index in clients.indices {
            #expect(try await clients[index].line() == "* server shutting down")
            #expect(try await clients[index].line() == nil)
            try await clients[index].connection.close()
        }
        #expect(await chat.waitForExit(timeout: .seconds(20)) == .exited(0), "stderr: \(chat.standardError)")
    }

    @Test func aLineOverTheLimitIsRefusedAndOnlyItsSenderDisconnected() async throws {
        let (chat, port) = try await startChat(rings: 1, ["--max-line-length", "100"])
        defer { chat.kill() }
        var talker = try await Client(port: port)
        _ = try await talker.line()
        var listener = try await Client(port: port)
        _ = try await listener.line()
        _ = try await talker.line()  // the listener joined

        try await talker.connection.send([UInt8](repeating: UInt8(ascii: "x"), count: 1000))
        #expect(try await talker.line() == "* line longer than 100 bytes, closing")
        #expect(try await talker.line() == nil)
        #expect(try await listener.line() == "* \(try talker.name) left")
        try await talker.connection.close()

        // The server goes on serving.
        var other = try await Client(port: port)
        #expect(try await other.line() == "* welcome \(try other.name), 2 online")
        try await other.say("still here")
        #expect(try await listener.line() == "* \(try other.name) joined")
        #expect(try await listener.line() == "[\(try other.name)] still here")
        for client in [listener, other] { try await client.connection.close() }

        chat.signal(SIGINT)
        #expect(await chat.waitForExit(timeout: .seconds(20)) == .exited(0), "stderr: \(chat.standardError)")
    }

    @Test func aClientThatNeverReadsIsDroppedWithoutStallingTheOthers() async throws {
        let (chat, port) = try await startChat(rings: 1, ["--outbox-limit", "64"])
        defer { chat.kill() }
        // Never reads: the kernel's buffers, then its send queue, then its outbox fill up.
        let stalled = try await TCPConnection.connect(to: "127.0.0.1:\(port)")
        try stalled.setOption(.receiveBufferSize(4096))
        var talker = try await Client(port: port)
        _ = try await talker.line()
        var listener = try await Client(port: port)
        _ = try await listener.line()
        _ = try await talker.line()

        let line = String(repeating: "y", count: 1000)
        var stalledLeft = false
        for _ in 0..<20000 {
            try await talker.say(line)
            #expect(try await listener.line() == "[\(try talker.name)] \(line)")
            // The stalled client is dropped once its outbox is full.
            if (try? await listener.reader.peek(1, timeout: .milliseconds(1))) == Array("*".utf8) {
                stalledLeft = try await listener.line() == "* \(try stalled.localAddress) left"
                break
            }
        }
        #expect(stalledLeft)
        for client in [talker.connection, listener.connection, stalled] { try await client.close() }
        chat.signal(SIGTERM)
        #expect(await chat.waitForExit(timeout: .seconds(20)) == .exited(0), "stderr: \(chat.standardError)")
    }
}
