import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import SystemPackage
import Testing

/// ``TCPConnection/split()``: a read half and a write half owned by two tasks, on real
/// loopback sockets.
@Suite struct SplitTests {
    /// Expects `body` to throw a ``SocketError`` with `errno` (and `detail`, when given).
    static func expectSocketError(
        _ errno: Errno,
        detail: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> Void
    ) async {
        let error = await #expect(throws: SocketError.self, sourceLocation: sourceLocation) { try await body() }
        #expect(error?.errno == errno, "\(String(describing: error))", sourceLocation: sourceLocation)
        if let detail { #expect(error?.detail == detail, sourceLocation: sourceLocation) }
    }

    @Test(.timeLimit(.minutes(1)))
    func eachHalfWorksConcurrentlyFromItsOwnTask() async throws {
        try await withConnectedPair { client, peer in
            let (reader, writer) = try await client.split()
            let inbound = pattern(count: 4 << 20, seed: 1)
            let outbound = pattern(count: 4 << 20, seed: 2)
            async let received: [UInt8] = {
                var bytes: [UInt8] = []
                while bytes.count < inbound.count, let chunk = try await reader.receive(maxBytes: 65536) {
                    bytes += chunk
                }
                return bytes
            }()
            async let sent: Void = {
                for start in stride(from: 0, to: outbound.count, by: 100_000) {
                    try await writer.send(outbound[start..<min(start + 100_000, outbound.count)])
                }
                try await writer.finish()
            }()
            async let peerSent: Void = peer.send(inbound)
            let peerReceived = try await receiveExactly(outbound.count, from: peer)
            try await sent
            try await peerSent
            #expect(try await received == inbound)
            #expect(peerReceived == outbound)
            // The writer finished: the peer reads end of stream.
            #expect(try await peer.receive() == nil)
            try await reader.close()
            #expect(client.isClosed)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func closingTheReadHalfEndsAWaitingReceiveWithEBADF() async throws {
        try await withConnectedPair { client, peer in
            let (reader, writer) = try await client.split()
            let waiting = Task { try await reader.receive(maxBytes: 100) }
            try await Task.sleep(for: .milliseconds(100))
            try await reader.close()
            await Self.expectSocketError(.badFileDescriptor, detail: "read half closed") { _ = try await waiting.value }
            // Later receives are refused the same way; the write half goes on.
            await Self.expectSocketError(.badFileDescriptor, detail: "read half closed") {
                _ = try await reader.receiveBytes()
            }
            try await writer.send("still writing")
            #expect(try await receiveExactly(13, from: peer) == Array("still writing".utf8))
            #expect(!client.isClosed)
            // A second close is refused; finishing the writer closes the connection.
            await Self.expectSocketError(.badFileDescriptor) { try await reader.close() }
            try await writer.finish()
            #expect(client.isClosed)
            #expect(try await peer.receive() == nil)
        }
    }

    /// The connection closed under its halves: a receive waiting on the read half ends with
    /// `EBADF`, later calls on either half throw `EBADF`, and releasing the halves afterwards
    /// neither hangs nor closes anything twice.
    @Test(.timeLimit(.minutes(1)))
    func closingTheConnectionUnderItsHalvesEndsTheirCalls() async throws {
        try await withConnectedPair { client, peer in
            let (reader, writer) = try await client.split()
            let waiting = Task { try await reader.receive(maxBytes: 100) }
            try await Task.sleep(for: .milliseconds(100))
            try await client.close()
            await Self.expectSocketError(.badFileDescriptor, detail: "connection closed") {
                _ = try await waiting.value
            }
            await Self.expectSocketError(.badFileDescriptor) { try await writer.send("late") }
            await Self.expectSocketError(.badFileDescriptor) { _ = try await reader.receiveBytes() }
            #expect(try await peer.receive(timeout: .seconds(5)) == nil)
            try? await reader.close()
            try? await writer.finish()
            #expect(reader.isClosed && writer.isClosed && client.isClosed)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func finishingTheWriterSendsEndOfStreamWhileReadingGoesOn() async throws {
        try await withConnectedPair { client, peer in
            let (reader, writer) = try await client.split()
            try await writer.send(contentsOf: [Array("hel".utf8), Array("lo".utf8)])
            try await writer.finish()
            #expect(try await receiveExactly(5, from: peer) == Array("hello".utf8))
            #expect(try await peer.receive() == nil)
            await Self.expectSocketError(.badFileDescriptor, detail: "write half closed") { try await writer.send("x") }
            await Self.expectSocketError(.badFileDescriptor) { try await writer.finish() }

            try await peer.send("reply")
            var buffer = [UInt8](repeating: 0, count: 5)
            #expect(try await reader.receive(into: &buffer) == 5)
            #expect(buffer == Array("reply".utf8))
            try await peer.shutdown(.write)
            #expect(try await reader.receive() == nil)
            #expect(!client.isClosed)
            try await reader.close()
            #expect(client.isClosed)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func droppingBothHalvesClosesTheDescriptor() async throws {
        try await withConnectedPair { client, peer in
            do {
                let (reader, writer) = try await client.split()
                try await writer.send("bye")
                #expect(try reader.remoteAddress == client.remoteAddress)
                #expect(try writer.localAddress == client.localAddress)
            }
            // The test still holds the connection: its own deinit cannot be what closes it.
            for _ in 0..<500 where !client.isClosed { try await Task.sleep(for: .milliseconds(10)) }
            #expect(client.isClosed)
            // The dropped writer shut writing down after its bytes.
            #expect(try await receiveExactly(3, from: peer) == Array("bye".utf8))
            #expect(try await peer.receive() == nil)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aSecondSplitOrASplitAfterCloseThrows() async throws {
        try await withConnectedPair { client, peer in
            let halves = try await client.split()
            let again = await #expect(throws: SocketError.self) { _ = try await client.split() }
            #expect(again?.operation == .split)
            #expect(again?.errno == .alreadyInProcess)
            try await halves.reader.close()
            try await halves.writer.finish()

            try await peer.close()
            let closed = await #expect(throws: SocketError.self) { _ = try await peer.split() }
            #expect(closed?.operation == .split)
            #expect(closed?.errno == .badFileDescriptor)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func stoppingTheRingEndsTheHalvesCallsAndClosingThemReleasesTheDescriptor() async throws {
        try await withLeakCheck {
            let group = try RingGroup(numberOfRings: 1)
            let listener = try TCPListener.bind(port: 0, group: group)
            let (client, peer) = try await connectAndAccept(listener, ring: group.rings[0])
            let (reader, writer) = try await client.split()
            let receiving = Task { try await reader.receive(maxBytes: 100) }
            // Nobody reads: this send waits for room once the socket buffers are full.
            let sending = Task {
                try await writer.send([UInt8](repeating: 7, count: 64 << 20), timeout: .seconds(3600))
            }
            try await Task.sleep(for: .milliseconds(200))

            await group.shutdown()
            await #expect(throws: CancellationError.self) { _ = try await receiving.value }
            await #expect(throws: CancellationError.self) { try await sending.value }
            try? await reader.close()
            try? await writer.finish()
            #expect(client.isClosed)
            try? await peer.close()
            await listener.close()
        }
    }
}
