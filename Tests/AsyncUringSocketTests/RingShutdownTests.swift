import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import SystemPackage
import Testing

extension SocketTests {
    /// Stopping the rings of a group while its sockets have requests in flight.
    @Suite struct RingShutdownTests {
        @Test func shutdownEndsReceivesSendsAcceptsAndTimeoutsInFlight() async throws {
            try await withLeakCheck {
                let group = try RingGroup(numberOfRings: 2)
                let listener = try TCPListener.bind(port: 0, group: group)
                let iterated = try TCPListener.bind(port: 0, group: group)
                let (reader, readerPeer) = try await connectAndAccept(listener, ring: group.rings[0])
                let (stalled, stalledPeer) = try await connectAndAccept(listener, ring: group.rings[1])

                var pending: [Task<Void, any Error>] = []
                pending.append(Task { _ = try await reader.receive(maxBytes: 100) })
                pending.append(Task { _ = try await readerPeer.receive(maxBytes: 100, timeout: .seconds(3600)) })
                // Nobody reads `stalled`: this send waits for room in its socket buffers.
                pending.append(
                    Task { try await stalledPeer.send([UInt8](repeating: 7, count: 64 << 20), timeout: .seconds(3600)) }
                )
                pending.append(Task { _ = try await listener.accept() })
                pending.append(
                    Task { for try await connection in iterated.connections { try await connection.close() } }
                )
                try await Task.sleep(for: .milliseconds(200))

                await group.shutdown()
                // Every call in flight on a stopped ring throws what a call made after it does.
                for task in pending {
                    let error = await #expect(throws: (any Error).self) { try await task.value }
                    #expect(error is CancellationError, "\(String(describing: error))")
                }
                #expect(group.rings.allSatisfy { $0.isTerminated })

                // Calls after the shutdown fail at once instead of hanging.
                await #expect(throws: CancellationError.self) { try await reader.receive(maxBytes: 1) }
                await #expect(throws: CancellationError.self) { try await reader.send("late") }
                await #expect(throws: CancellationError.self) { try await listener.accept() }
                await #expect(throws: CancellationError.self) {
                    try await TCPConnection.connect(to: listener.localAddress, ring: group.rings[0])
                }
                // Closing still releases every descriptor.
                for connection in [reader, readerPeer, stalled, stalledPeer] {
                    try? await connection.close()
                    #expect(connection.isClosed)
                }
                await listener.close()
                await iterated.close()
            }
        }

        @Test func closeAfterTheRingStoppedClosesTheDescriptor() async throws {
            try await withLeakCheck {
                let group = try RingGroup(numberOfRings: 1)
                let listener = try TCPListener.bind(port: 0, group: group)
                let (client, server) = try await connectAndAccept(listener, ring: group.rings[0])
                await group.shutdown()
                let before = openDescriptorCount()
                try? await client.close()
                try? await server.close()
                await listener.close()
                // The objects are still referenced: their deinit cannot be what closed them.
                #expect(openDescriptorCount() == before - 3, "close() after the ring stopped left descriptors open")
                #expect(client.isClosed && server.isClosed)
                withExtendedLifetime((client, server, listener)) {}
            }
        }
    }
}
