import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import SystemPackage
import Testing

/// ``copyBidirectionally(_:_:)`` between two loopback connections: `client` talks to `a`,
/// `a` and `b` are copied into each other, `b` talks to `server`, as in a proxy.
@Suite struct BidirectionalCopyTests {
    /// Runs `body` with the two outer ends while `copyBidirectionally(a, b)` runs in a task.
    static func withCopy(
        _ body: (
            _ client: TCPConnection, _ server: TCPConnection, _ a: TCPConnection, _ b: TCPConnection,
            _ copy: Task<BidirectionalCopy, Never>
        ) async throws -> Void
    ) async throws {
        try await withConnectedPair { client, a in
            try await withConnectedPair { b, server in
                let copy = Task { await copyBidirectionally(a, b) }
                try await body(client, server, a, b, copy)
                copy.cancel()
                _ = await copy.value
            }
        }
    }

    /// Every byte `connection` receives until end of stream.
    static func receiveAll(from connection: TCPConnection) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let chunk = try await connection.receive(maxBytes: 1 << 20) { bytes += chunk }
        return bytes
    }

    /// Sends `bytes` in pieces, then shuts writing down.
    static func sendAll(_ bytes: [UInt8], to connection: TCPConnection) async throws {
        for start in stride(from: 0, to: bytes.count, by: 256 << 10) {
            try await connection.send(bytes[start..<min(start + (256 << 10), bytes.count)])
        }
        try await connection.shutdown(.write)
    }

    @Test(.timeLimit(.minutes(1)))
    func largeTransfersBothWaysArriveIntact() async throws {
        try await Self.withCopy { client, server, _, _, copy in
            let up = pattern(count: 16 << 20, seed: 3)
            let down = pattern(count: 12 << 20, seed: 7)
            async let clientSent: Void = Self.sendAll(up, to: client)
            async let serverSent: Void = Self.sendAll(down, to: server)
            async let atServer = Self.receiveAll(from: server)
            let atClient = try await Self.receiveAll(from: client)
            try await clientSent
            try await serverSent
            #expect(try await atServer == up)
            #expect(atClient == down)
            let result = await copy.value
            #expect(result.aToB == up.count)
            #expect(result.bToA == down.count)
            #expect(result.error == nil, "\(String(describing: result.error))")
        }
    }

    @Test(.timeLimit(.minutes(1)), arguments: [true, false])
    func aHalfClosePropagatesAndTheOtherDirectionGoesOn(clientFirst: Bool) async throws {
        try await Self.withCopy { client, server, _, _, copy in
            let (first, second) = clientFirst ? (client, server) : (server, client)
            try await first.send("last words")
            try await first.shutdown(.write)
            #expect(try await Self.receiveAll(from: second) == Array("last words".utf8))

            // The other direction is still open.
            try await second.send("reply")
            #expect(try await receiveExactly(5, from: first) == Array("reply".utf8))
            try await second.shutdown(.write)
            #expect(try await first.receive() == nil)

            let result = await copy.value
            #expect(result.error == nil, "\(String(describing: result.error))")
            #expect(result.aToB + result.bToA == 15)
        }
    }

    @Test(.timeLimit(.minutes(1)), arguments: [true, false])
    func aResetOnOneSideEndsBothDirectionsPromptly(clientResets: Bool) async throws {
        try await Self.withCopy { client, server, a, b, copy in
            let (resetting, idle) = clientResets ? (client, server) : (server, client)
            try await resetting.send("before")
            #expect(try await receiveExactly(6, from: idle) == Array("before".utf8))

            // SO_LINGER {1, 0}: the close sends a reset. The idle end never sends a byte, so
            // only ending both directions lets the copy return.
            try resetting.setOption(.resetOnClose)
            let start = ContinuousClock.now
            try await resetting.close()
            let result = await copy.value
            #expect(ContinuousClock.now - start < .seconds(5))
            let error = try #require(result.error as? SocketError, "\(String(describing: result.error))")
            #expect(error.isConnectionReset, "\(error)")

            // The proxy then closes its other connection: the idle end sees it.
            try await (clientResets ? b : a).close()
            await #expect(throws: Never.self) {
                let received = try? await idle.receive(timeout: .seconds(5))
                #expect(received == nil)
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func cancellingTheCallerEndsBothDirections() async throws {
        try await Self.withCopy { client, server, _, _, copy in
            try await client.send("ping")
            #expect(try await receiveExactly(4, from: server) == Array("ping".utf8))
            copy.cancel()
            let result = await copy.value
            #expect(result.error is CancellationError, "\(String(describing: result.error))")
            #expect(result.aToB == 4)
            #expect(result.bToA == 0)
        }
    }
}
