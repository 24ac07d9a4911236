import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import Glibc
import SystemPackage
import Testing

extension SocketTests {
    /// The edges of the ring, connection and listener lifecycles: a ring ending under its own
    /// tasks, connections dropped with bytes still queued, a connection that died on a send,
    /// misuse that must throw rather than trap, listeners dropped while armed.
    @Suite struct LifecycleEdgeTests {
        @Test func groupShutdownFromATaskPreferringOneOfItsRingsReturns() async throws {
            let group = try RingGroup(numberOfRings: 2)
            let stopping = Task(executorPreference: group.rings[0]) {
                await group.shutdown()
                return group.rings.allSatisfy { $0.isTerminated }
            }
            #expect(await stopping.value)
            // Another thread that reuses the ended ring thread's identity is not that ring.
            let onFreshThread = Task.detached { group.rings.contains { $0.isCurrentThread } }
            #expect(await onFreshThread.value == false)
        }

        @Test func ringShutdownFromItsOwnThreadReturns() async throws {
            let group = try RingGroup(numberOfRings: 1)
            let ring = group.rings[0]
            await Task(executorPreference: ring) { await ring.shutdown() }.value
            #expect(ring.isTerminated)
        }

        @Test func aDroppedConnectionStillSendsWhatItAccepted() async throws {
            try await withLeakCheck {
                let group = try RingGroup(numberOfRings: 1)
                let listener = try TCPListener.bind(port: 0, group: group)
                let address = listener.localAddress
                async let accepted = listener.accept()
                try await Task(executorPreference: group.rings[0]) {
                    let connection = try await TCPConnection.connect(to: address, ring: group.rings[0])
                    try await connection.send("bye")
                    // Dropped here without close().
                }.value
                let peer = try await accepted
                #expect(try await receiveExactly(4, from: peer, timeout: .seconds(5)) == Array("bye".utf8))
                #expect(try await peer.receive(maxBytes: 10, timeout: .seconds(5)) == nil)
                try await peer.close()
                await listener.close()
                await group.shutdown()
            }
        }

        @Test func aDroppedConnectionWithALargeUnsentSendKeepsItsBytesToItself() async throws {
            // A short send's remainder must never reach a newer socket that reused the number.
            try await withLeakCheck {
                let group = try RingGroup(numberOfRings: 1)
                let ring = group.rings[0]
                let listener = try TCPListener.bind(port: 0, group: group)
                let address = listener.localAddress
                async let firstAccepted = listener.accept()
                try await Task(executorPreference: ring) {
                    let connection = try await TCPConnection.connect(to: address, ring: ring)
                    try connection.setOption(.sendBufferSize(4096))
                    try await connection.send([UInt8](repeating: 1, count: 65536))
                }.value
                let first = try await firstAccepted
                // New sockets now get the lowest free numbers, the dropped one's among them.
                var others: [(TCPConnection, TCPConnection)] = []
                for _ in 0..<4 { others.append(try await connectAndAccept(listener, ring: ring)) }
                #expect(try await receiveExactly(65536, from: first, timeout: .seconds(10)).allSatisfy { $0 == 1 })
                for (client, peer) in others {
                    try await client.send("x")
                    #expect(try await receiveExactly(1, from: peer, timeout: .seconds(5)) == Array("x".utf8))
                    try await client.close()
                    try await peer.close()
                }
                try await first.close()
                await listener.close()
                await group.shutdown()
            }
        }

        @Test func concurrentShutdownsOfOneConnectionThrowInsteadOfTrapping() async throws {
            try await withConnectedPair { client, peer in
                let outcomes = await Task(executorPreference: client.ring) { () -> [SocketError?] in
                    async let first: SocketError? = Self.shutdownOutcome(client, .read)
                    async let second: SocketError? = Self.shutdownOutcome(client, .read)
                    async let third: SocketError? = Self.shutdownOutcome(client, .both)
                    return [await first, await second, await third]
                }.value
                #expect(outcomes.contains { $0 == nil }, "\(outcomes)")
                for case let error? in outcomes { #expect(error.errno == .alreadyInProcess, "\(error)") }
                try await client.close()
                try await peer.close()
            }
        }

        private static func shutdownOutcome(
            _ connection: TCPConnection,
            _ direction: TCPConnection.ShutdownDirection
        ) async -> SocketError? {
            do {
                try await connection.shutdown(direction)
                return nil
            } catch {
                return error as? SocketError
            }
        }

        @Test func aListenerDroppedAfterItsConnectionsLoopWasCancelledStopsAccepting() async throws {
            try await withLeakCheck {
                let address = try await Self.droppedIteratedListener()
                // The port is free again: a connection is refused (soon, not necessarily at once:
                // the listener's ring closes the descriptor).
                var refused = false
                for _ in 0..<100 where !refused {
                    do {
                        let client = try await TCPConnection.connect(to: address, timeout: .seconds(1))
                        try await client.close()
                        try await Task.sleep(for: .milliseconds(10))
                    } catch let error as SocketError where error.errno == .connectionRefused {
                        refused = true
                    }
                }
                #expect(refused, "the dropped listener kept accepting")
            }
        }

        /// A listener whose `connections` loop accepted some connections (leaving others queued)
        /// and was then cancelled; the listener is dropped without `close()`.
        private static func droppedIteratedListener() async throws -> SocketAddress {
            let listener = try TCPListener.bind(port: 0)
            let address = listener.localAddress
            let loop = Task {
                for try await connection in listener.connections { try await connection.close() }
            }
            var clients: [TCPConnection] = []
            for _ in 0..<3 { clients.append(try await TCPConnection.connect(to: address)) }
            try await Task.sleep(for: .milliseconds(50))
            loop.cancel()
            _ = await loop.result
            // Queued in the multishot accept, never taken.
            for _ in 0..<3 { clients.append(try await TCPConnection.connect(to: address)) }
            try await Task.sleep(for: .milliseconds(50))
            for client in clients { try await client.close() }
            return address
        }

        @Test func aSendThatFindsTheConnectionResetEndsTheReceiveSideToo() async throws {
            // The peer sends and resets at once: our echo's write-behind send fails with
            // ECONNRESET, and the receive armed meanwhile may never complete again.
            for _ in 0..<20 {
                try await withLeakCheck {
                    let group = try RingGroup(numberOfRings: 1)
                    let ring = group.rings[0]
                    let listener = try TCPListener.bind(port: 0, group: group)
                    async let accepted = listener.accept()
                    let client = try await TCPConnection.connect(to: listener.localAddress)
                    let server = try await accepted
                    try client.setOption(.resetOnClose)
                    try await client.send(pattern(count: 64))
                    try await client.close()
                    let ended = try await Task(executorPreference: ring) { () -> Bool in
                        do {
                            while let bytes = try await server.receiveBytes(timeout: .seconds(2)) {
                                try await server.send(bytes)
                            }
                        } catch let error as SocketError {
                            return error.isConnectionReset || error.errno == .brokenPipe
                        }
                        return true
                    }.value
                    #expect(ended)
                    try await server.close()
                    await listener.close()
                    await group.shutdown()
                }
            }
        }
        @Test func aCloseRacingASendWithATimeoutIsNotReportedAsATimeout() async throws {
            // The close cancels the send's request; its linked timeout was not what ended it.
            try await withConnectedPair { client, peer in
                let sending = Task {
                    try await client.send([UInt8](repeating: 3, count: 32 << 20), timeout: .seconds(30))
                }
                try await Task.sleep(for: .milliseconds(100))
                try await client.close()
                let error = await #expect(throws: SocketError.self) { try await sending.value }
                #expect(error?.errno == .canceled || error?.errno == .badFileDescriptor, "\(String(describing: error))")
                try await peer.close()
            }
        }

        @Test func ringShutdownEndsWriteBehindSendsToAPeerThatDoesNotRead() async throws {
            // Short sends are resubmitted by the ring; one resubmitted after the shutdown's
            // cancel-all must be cancelled too, or the ring never ends.
            try await withLeakCheck {
                let listener = try TCPListener.bind(port: 0)
                for _ in 0..<10 {
                    let group = try RingGroup(numberOfRings: 1)
                    let ring = group.rings[0]
                    let (client, peer) = try await connectAndAccept(listener, ring: ring)
                    try client.setOption(.sendBufferSize(4096))
                    let sending = Task(executorPreference: ring) {
                        let chunk = [UInt8](repeating: 1, count: 65536)
                        while true { try await client.send(chunk) }
                    }
                    try await Task.sleep(for: .milliseconds(20))
                    await group.shutdown()
                    #expect(await (try? sending.value) == nil)
                    try await client.close()
                    try await peer.close()
                }
                await listener.close()
            }
        }

        @Test func anActorIsolatedCallerGetsItsBytesInOrder() async throws {
            // An actor that runs on the ring thread may resume on another thread: its calls
            // hop to the ring instead of touching ring state in place.
            try await withEchoClient { client, _ in
                let owner = ConnectionOwner(client)
                let busy = Task {
                    for _ in 0..<20_000 { await owner.touch() }
                }
                let correct = try await Task(executorPreference: client.ring) {
                    try await owner.echoRoundTrips(200)
                }.value
                busy.cancel()
                #expect(correct == 200)
            }
        }
    }
}

/// Owns a connection to an echo server and makes round trips on it, isolated to itself.
private actor ConnectionOwner {
    let connection: TCPConnection
    private var touches = 0

    init(_ connection: TCPConnection) {
        self.connection = connection
    }

    func touch() {
        touches += 1
    }

    /// Round trips of distinct messages; returns how many came back as sent.
    func echoRoundTrips(_ count: Int) async throws -> Int {
        var correct = 0
        for index in 0..<count {
            let message = pattern(count: 100 + index % 50, seed: index)
            try await connection.send(message)
            if try await receiveExactly(message.count, from: connection, timeout: .seconds(5)) == message {
                correct += 1
            }
        }
        return correct
    }
}
