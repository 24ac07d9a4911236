import AsyncUring
import AsyncUringSocket

/// A listener and one connection through it over loopback, all on the single ring of
/// their own ring group.
struct LoopbackPair: Sendable {
    let group: RingGroup
    let listener: TCPListener
    /// The end that connected.
    let client: TCPConnection
    /// The end the listener accepted.
    let server: TCPConnection

    var ring: Ring { group.rings[0] }

    /// Starts a one-ring group, listens on an ephemeral loopback port and connects to it.
    static func make() async throws -> LoopbackPair {
        let group = try RingGroup(numberOfRings: 1)
        let listener = try TCPListener.bind(host: "127.0.0.1", port: 0, group: group)
        let ring = group.rings[0]
        // The kernel completes the handshake into the backlog, so connect then accept.
        let (client, server) = try await withTaskExecutorPreference(ring) {
            let client = try await TCPConnection.connect(to: listener.localAddress, ring: ring)
            let server = try await listener.accept()
            return (client, server)
        }
        return LoopbackPair(group: group, listener: listener, client: client, server: server)
    }

    /// Closes both connections and the listener, then stops the ring.
    func shutdown() async throws {
        try await withTaskExecutorPreference(ring) {
            try await client.close()
            try await server.close()
            await listener.close()
        }
        await group.shutdown()
    }
}

extension TCPConnection {
    /// Receives `buffer.count` bytes.
    ///
    /// Loopback delivers a 64-byte send in one piece, so this is one receive per call in
    /// practice; the loop keeps request and reply in step if it ever is not. Each receive
    /// writes from the start of `buffer` (the API takes no offset): the benchmarks count
    /// bytes and never read them.
    func receiveExactly(into buffer: inout [UInt8]) async throws {
        var total = 0
        while total < buffer.count {
            guard let count = try await receive(into: &buffer) else {
                throw EndOfStream()
            }
            total += count
        }
    }
}

/// The peer closed the connection in the middle of a benchmark.
struct EndOfStream: Error {}
