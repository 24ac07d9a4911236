import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import Glibc
import Testing

extension SocketTests {
    /// Peers that reset the connection at the worst moments, against the real echo server:
    /// afterwards no handler may be left running, no descriptor left open, and the server
    /// must still echo and shut down promptly. Every scenario runs against both echo styles,
    /// with and without an idle timeout (which would hide a handler that waits forever).
    @Suite(.serialized) struct HostilePeerTests {
        /// Each peer connects, sends `size` bytes and resets the connection at once, its echo
        /// unread, while the server is still accepting it.
        @Test(.timeLimit(.minutes(1)), arguments: EchoServerKind.all, [1, 64, 65536])
        func sendThenResetAtOnce(kind: EchoServerKind, size: Int) async throws {
            try await withHostileEchoServer(kind) { server in
                let payload = pattern(count: size)
                for _ in 0..<100 {
                    let peer = try RawPeer(connectingTo: server.address)
                    try peer.send(payload)
                    try peer.reset()
                }
                try await server.expectRecovered(from: "100 peers sent \(size) bytes and reset at once")
            }
        }

        /// Each peer sends `size` bytes to a handler already waiting for them and resets the
        /// connection at once, its echo unread.
        @Test(.timeLimit(.minutes(1)), arguments: EchoServerKind.all, [1, 64, 65536])
        func sendThenResetToAWaitingHandler(kind: EchoServerKind, size: Int) async throws {
            try await withHostileEchoServer(kind) { server in
                let peers = try (0..<100).map { _ in try RawPeer(connectingTo: server.address) }
                try await server.waitForConnections(peers.count)
                let payload = pattern(count: size)
                for peer in peers {
                    try peer.send(payload)
                    try peer.reset()
                }
                try await server.expectRecovered(from: "100 accepted peers sent \(size) bytes and reset")
            }
        }

        /// A peer sends 4 MiB, reads the echo slowly and resets half-way through it, while
        /// the server is both receiving and sending.
        @Test(.timeLimit(.minutes(1)), arguments: EchoServerKind.all)
        func resetInTheMiddleOfALargeEcho(kind: EchoServerKind) async throws {
            try await withHostileEchoServer(kind) { server in
                // Made before connecting: the idle timeout would end a peer that waits for it.
                let payload = pattern(count: 4 << 20)
                let peer = try RawPeer(connectingTo: server.address)
                var sent = 0
                var echoed = 0
                let deadline = ContinuousClock.now + .seconds(20)
                while echoed < payload.count / 2 && ContinuousClock.now < deadline {
                    if sent < payload.count {
                        sent += try peer.sendWithoutWaiting(payload[sent..<min(sent + 65536, payload.count)])
                    }
                    if let bytes = try peer.receiveWithoutWaiting(maxBytes: 8192) {
                        try #require(!bytes.isEmpty, "the echo ended after \(echoed) bytes")
                        try #require(bytes[...] == payload[echoed..<echoed + bytes.count], "echo differs at \(echoed)")
                        echoed += bytes.count
                    }
                    usleep(500)
                }
                try #require(echoed >= payload.count / 2, "\(echoed) bytes echoed in 20 s")
                try peer.reset()
                try await server.expectRecovered(from: "a peer reset after \(echoed) of \(sent) bytes echoed")
            }
        }

        /// Peers connect, send and reset before the server accepts them: the server accepts
        /// connections that are already reset.
        @Test(.timeLimit(.minutes(1)), arguments: EchoServerKind.all)
        func resetWhileInTheAcceptBacklog(kind: EchoServerKind) async throws {
            try await withHostileEchoServer(kind, serving: false) { server in
                let payload = pattern(count: 64)
                for _ in 0..<100 {
                    let peer = try RawPeer(connectingTo: server.address)
                    try peer.send(payload)
                    try peer.reset()
                }
                server.startServing()
                try await server.expectRecovered(from: "100 peers reset in the accept backlog")
            }
        }

        /// Peers send, shut their writing side down (FIN), then reset at once.
        @Test(.timeLimit(.minutes(1)), arguments: EchoServerKind.all)
        func finThenReset(kind: EchoServerKind) async throws {
            try await withHostileEchoServer(kind) { server in
                let payload = pattern(count: 64)
                for _ in 0..<100 {
                    let peer = try RawPeer(connectingTo: server.address)
                    try peer.send(payload)
                    try peer.shutdownWrite()
                    try peer.reset()
                }
                try await server.expectRecovered(from: "100 peers sent a FIN, then an RST")
            }
        }

        /// Peers send and half-close, read their whole echo, then reset instead of closing.
        @Test(.timeLimit(.minutes(1)), arguments: EchoServerKind.all)
        func halfCloseThenResetAfterReadingTheEcho(kind: EchoServerKind) async throws {
            try await withHostileEchoServer(kind) { server in
                let payload = pattern(count: 64)
                let peers = try (0..<100).map { _ in try RawPeer(connectingTo: server.address) }
                for peer in peers {
                    try peer.send(payload)
                    try peer.shutdownWrite()
                }
                for peer in peers {
                    #expect(try peer.receiveExactly(payload.count) == payload)
                    try peer.reset()
                }
                try await server.expectRecovered(from: "100 peers half-closed, read the echo, then reset")
            }
        }

        /// Peers with a tiny receive window send without ever reading, until the server's
        /// echo sends wait on the full window and its receives stop; then they reset.
        @Test(.timeLimit(.minutes(1)), arguments: EchoServerKind.all)
        func zeroWindowPeerThatResets(kind: EchoServerKind) async throws {
            try await withHostileEchoServer(kind) { server in
                let chunk = pattern(count: 65536)
                var peers: [RawPeer] = []
                for _ in 0..<4 {
                    // Connected one by one, just before they send: the idle timeout would end
                    // a peer that waited for the others.
                    let peer = try RawPeer(connectingTo: server.address, receiveBufferSize: 1024)
                    peers.append(peer)
                    // Sends until nothing more goes out for 200 ms: the window is closed both ways.
                    var sent = 0
                    var stalledSince = ContinuousClock.now
                    let deadline = ContinuousClock.now + .seconds(10)
                    while ContinuousClock.now - stalledSince < .milliseconds(200) {
                        try #require(ContinuousClock.now < deadline, "\(sent) bytes went into a peer that never reads")
                        let count = try peer.sendWithoutWaiting(chunk[...])
                        if count > 0 { stalledSince = ContinuousClock.now }
                        sent += count
                        usleep(1000)
                    }
                    try #require(sent < 64 << 20, "\(sent) bytes went into a peer that never reads")
                }
                #expect(server.server.openConnections == peers.count)
                for peer in peers { try peer.reset() }
                try await server.expectRecovered(from: "\(peers.count) zero-window peers reset")
            }
        }

        /// 5,000 peers, 200 at a time, each send one byte and reset.
        @Test(.timeLimit(.minutes(1)), arguments: EchoServerKind.all)
        func fiveThousandPeersSendOneByteAndReset(kind: EchoServerKind) async throws {
            try await withHostileEchoServer(kind) { server in
                let deadline = ContinuousClock.now + .seconds(30)
                for batch in 0..<25 {
                    try #require(ContinuousClock.now < deadline, "only \(batch * 200) peers in 30 s")
                    let peers = try (0..<200).map { _ in try RawPeer(connectingTo: server.address) }
                    for peer in peers {
                        try peer.send([UInt8(truncatingIfNeeded: batch)])
                        try peer.reset()
                    }
                }
                try await server.expectRecovered(from: "5,000 peers sent 1 byte and reset")
            }
        }

        /// Runs `scenario` against a fresh echo server of `kind`, then checks that the server
        /// recovered (the scenario ends with ``HostileEchoServer/expectRecovered(from:)``),
        /// shuts it down, and that nothing leaked.
        private func withHostileEchoServer(
            _ kind: EchoServerKind,
            serving: Bool = true,
            _ scenario: (inout HostileEchoServer) async throws -> Void
        ) async throws {
            raiseDescriptorLimit()
            try await withLeakCheck {
                var server = try await HostileEchoServer(kind)
                if serving { server.startServing() }
                do {
                    try await scenario(&server)
                } catch {
                    await server.shutDown()
                    throw error
                }
                await server.shutDown()
            }
        }
    }
}
