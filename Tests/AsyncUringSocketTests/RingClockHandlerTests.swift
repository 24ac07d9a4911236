import AsyncUringSocket
import AsyncUringTestSupport
import Testing

extension SocketTests {
    @Suite(.timeLimit(.minutes(1)))
    struct RingClockHandlerTests {
        /// `RingClock`'s example: a connection handler sleeps on its ring, with a duration and
        /// with a deadline through `Task.sleep(until:clock:)`, and stays on the ring thread.
        @Test func aHandlerSleepsOnItsRing() async throws {
            try await withLeakCheck {
                let listener = try TCPListener.bind(host: "127.0.0.1", port: 0)
                let server = TCPServer(listener: listener) { connection in
                    let ring = try #require(Ring.current)
                    let start = RingClock.now
                    try await RingClock().sleep(for: .milliseconds(5))
                    let deadline = RingClock.now.advanced(by: .milliseconds(5))
                    try await Task.sleep(until: deadline, clock: .ring)
                    let isKept = RingClock.now >= deadline && start.duration(to: .now) >= .milliseconds(10)
                    try await connection.send(isKept && ring.isCurrentThread ? "kept" : "lost")
                }
                let running = Task { try await server.run() }
                let connection = try await TCPConnection.connect(
                    to: SocketAddress("127.0.0.1:\(listener.localAddress.port!)")
                )
                #expect(try await connection.receive(maxBytes: 4) == Array("kept".utf8))
                try await connection.close()
                server.triggerGracefulShutdown()
                try await running.value
            }
        }
    }
}
