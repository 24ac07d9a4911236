import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import Testing

extension SocketTests {
    @Suite struct EchoTests {
        @Test func echoRoundTrip() async throws {
            let (listener, server) = try startEchoServer()
            defer { server.cancel() }
            let client = try await TCPConnection.connect(to: listener.localAddress)
            try await client.send("hello, ring")
            let echoed = try await receiveExactly(11, from: client)
            #expect(String(decoding: echoed, as: UTF8.self) == "hello, ring")
            try await client.close()
        }

        @Test func sixteenMebibyteStreamKeepsEveryByte() async throws {
            let (listener, server) = try startEchoServer()
            defer { server.cancel() }
            let client = try await TCPConnection.connect(to: listener.localAddress)
            let payload = pattern(count: 16 << 20, seed: 7)
            async let sent: Void = client.send(payload)
            let echoed = try await receiveExactly(payload.count, from: client)
            try await sent
            #expect(echoed.count == payload.count)
            #expect(echoed == payload)
            try await client.close()
        }
    }
}
