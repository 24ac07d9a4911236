import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import Glibc
import Testing

/// Raises the soft descriptor limit to the hard one (1,000 connections need 2,000+).
func raiseDescriptorLimit() {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}

/// An echo server on a fresh listener; runs until the returned task is cancelled.
func startEchoServer(group: RingGroup? = nil) throws -> (listener: TCPListener, task: Task<Void, any Error>) {
    let (server, task) = try runEchoServer(group: group)
    return (server.listener, task)
}

/// Runs `body` with a client connected to a fresh echo server; afterwards closes the
/// client (unless `body` did), stops the server and checks that no descriptor leaked.
func withEchoClient(
    isolation: isolated (any Actor)? = #isolation,
    _ body: (_ client: TCPConnection, _ serverAddress: SocketAddress) async throws -> Void
) async throws {
    try await withLeakCheck {
        let (listener, server) = try startEchoServer()
        defer { server.cancel() }
        let client = try await TCPConnection.connect(to: listener.localAddress)
        try await body(client, listener.localAddress)
        if !client.isClosed { try await client.close() }
        server.cancel()
        _ = try? await server.value
    }
}

/// Runs `body` with a client connected to a fresh listener and the peer that listener
/// accepted; afterwards closes whichever `body` left open and the listener, and checks that
/// no descriptor leaked.
func withConnectedPair(
    isolation: isolated (any Actor)? = #isolation,
    _ body: (_ client: TCPConnection, _ peer: TCPConnection) async throws -> Void
) async throws {
    try await withLeakCheck {
        let listener = try TCPListener.bind(port: 0)
        let (client, peer) = try await connectAndAccept(listener)
        try await body(client, peer)
        for connection in [client, peer] where !connection.isClosed { try? await connection.close() }
        await listener.close()
    }
}

/// Connects a client to `listener` (from `ring`, by default the shared group's next) and
/// returns it with the connection the listener accepted.
func connectAndAccept(
    _ listener: TCPListener,
    ring: Ring? = nil
) async throws -> (client: TCPConnection, peer: TCPConnection) {
    async let accepted = listener.accept()
    let client = try await TCPConnection.connect(to: listener.localAddress, ring: ring)
    return (client, try await accepted)
}

/// Receives exactly `count` bytes (fewer only at end of stream); with a timeout, each
/// receive throws `ETIMEDOUT` when nothing arrives within it.
func receiveExactly(_ count: Int, from connection: TCPConnection, timeout: Duration? = nil) async throws -> [UInt8] {
    var received: [UInt8] = []
    received.reserveCapacity(count)
    while received.count < count,
        let bytes = try await connection.receive(maxBytes: count - received.count, timeout: timeout)
    {
        received += bytes
    }
    return received
}
