import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import Synchronization
import Testing

extension SocketTests {
    @Suite struct RunOffRingTests {
        /// Round trips another connection completed; shared by the test and the server's handler.
        final class Progress: Sendable {
            let roundTrips = Atomic<Int>(0)
        }

        /// One ring serves two connections: one handler spins in `runOffRing` until the other
        /// connection has made 20 echo round trips through the same ring. Were the spin on the
        /// ring's thread, no echo could go out before its deadline and it would answer "F".
        @Test func otherConnectionsOnTheRingKeepBeingServedWhileHeavyWorkRuns() async throws {
            try await withLeakCheck {
                let group = try RingGroup(numberOfRings: 1)
                let ring = group.rings[0]
                let progress = Progress()
                let listener = try TCPListener.bind(host: "127.0.0.1", port: 0, group: group)
                let server = TCPServer(listener: listener, gracePeriod: .seconds(1)) { connection in
                    var buffer = [UInt8](repeating: 0, count: 64)
                    while let count = try await connection.receive(into: &buffer) {
                        guard buffer[0] == UInt8(ascii: "H") else {
                            try await connection.send(buffer[..<count])
                            continue
                        }
                        try await connection.send("S")
                        let (spunOffRing, reached) = await runOffRing {
                            let deadline = ContinuousClock.now + .seconds(5)
                            while progress.roundTrips.load(ordering: .relaxed) < 20, ContinuousClock.now < deadline {}
                            return (!ring.isCurrentThread, progress.roundTrips.load(ordering: .relaxed) >= 20)
                        }
                        let backOnRing = ring.isCurrentThread
                        try await connection.send(spunOffRing && reached && backOnRing ? "D" : "F")
                    }
                }
                let running = Task { try await server.run() }
                defer { running.cancel() }

                let heavy = try await TCPConnection.connect(to: listener.localAddress)
                let light = try await TCPConnection.connect(to: listener.localAddress)
                try await light.send("warm")
                #expect(try await receiveExactly(4, from: light, timeout: .seconds(10)) == Array("warm".utf8))

                try await heavy.send("H")
                #expect(try await receiveExactly(1, from: heavy, timeout: .seconds(10)) == Array("S".utf8))
                for index in 0..<20 {
                    let message = Array("ping \(index)".utf8)
                    try await light.send(message)
                    #expect(try await receiveExactly(message.count, from: light, timeout: .seconds(10)) == message)
                    progress.roundTrips.add(1, ordering: .relaxed)
                }
                #expect(try await receiveExactly(1, from: heavy, timeout: .seconds(10)) == Array("D".utf8))

                for connection in [heavy, light] { try await connection.close() }
                server.triggerGracefulShutdown()
                try await running.value
                await group.shutdown()
            }
        }
    }
}
