import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import Testing

extension SocketTests {
    /// `receiveBytes()` lends the provided buffer the bytes arrived in; it goes back to its
    /// ring when the value ends. The rings here have two buffers, so a buffer that did not
    /// come back would stop every later receive (they time out instead of hanging).
    @Suite struct ReceivedBytesTests {
        static let twoBuffers = RingConfiguration(receiveBufferCount: 2, receiveBufferSize: 64)

        /// - Parameter onRing: receive from a task on the connection's ring (the value ends on
        ///   the ring thread) or from one off it (it ends elsewhere).
        @Test(arguments: [false, true])
        func receivedBytesAreTheBytesSentAndTheirBuffersComeBack(onRing: Bool) async throws {
            try await withLeakCheck {
                let group = try RingGroup(numberOfRings: 1, configuration: Self.twoBuffers)
                let listener = try TCPListener.bind(host: "127.0.0.1", port: 0, group: group)
                let (client, peer) = try await connectAndAccept(listener, ring: group.rings[0])
                // 100 x 64 bytes through 2 buffers: each must come back, whether the value
                // was read, copied or just dropped.
                let sent = pattern(count: 100 * 64)
                let received = try await Task(executorPreference: onRing ? group.rings[0] : nil) {
                    var received: [UInt8] = []
                    for index in 0..<100 {
                        try await peer.send(sent[index * 64..<(index + 1) * 64])
                        var count = 0
                        while count < 64, let bytes = try await client.receiveBytes(timeout: .seconds(5)) {
                            #expect(bytes.count > 0 && bytes.count <= 64)
                            count += bytes.count
                            switch index % 3 {
                            case 0: received += Array(bytes)
                            case 1: bytes.withUnsafeBytes { received += $0 }
                            default: received += sent[received.count..<received.count + bytes.count]  // dropped unread
                            }
                        }
                    }
                    return received
                }.value
                #expect(received == sent)
                try await peer.close()
                #expect(try await client.receiveBytes(timeout: .seconds(5)) == nil)
                try await client.close()
                let error = await #expect(throws: SocketError.self) { _ = try await client.receiveBytes() }
                #expect(error?.errno == .badFileDescriptor)
                await listener.close()
                await group.shutdown()
            }
        }

        @Test func forwardedBytesGoBackToTheRingTheyCameFrom() async throws {
            // A proxy: bytes received on ring 0 are sent on ring 1 without a copy; the buffer
            // goes back to ring 0 from ring 1's completion.
            try await withLeakCheck {
                let group = try RingGroup(numberOfRings: 2, configuration: Self.twoBuffers)
                let listener = try TCPListener.bind(host: "127.0.0.1", port: 0, group: group)
                let (source, inbound) = try await connectAndAccept(listener, ring: group.rings[0])
                let otherRing = group.rings.first { $0 !== inbound.ring }!
                let (outbound, sink) = try await connectAndAccept(listener, ring: otherRing)
                let payload = pattern(count: 64 << 10, seed: 7)
                async let forwarded: Int = {
                    var total = 0
                    while total < payload.count, let bytes = try await inbound.receiveBytes(timeout: .seconds(5)) {
                        total += bytes.count
                        try await outbound.send(bytes)
                    }
                    return total
                }()
                try await source.send(payload)
                #expect(try await receiveExactly(payload.count, from: sink, timeout: .seconds(10)) == payload)
                #expect(try await forwarded == payload.count)
                for connection in [source, inbound, outbound, sink] { try await connection.close() }
                await listener.close()
                await group.shutdown()
            }
        }

        @Test func receivedBytesOutliveTheirRing() async throws {
            try await withLeakCheck {
                let group = try RingGroup(numberOfRings: 1, configuration: Self.twoBuffers)
                let listener = try TCPListener.bind(host: "127.0.0.1", port: 0, group: group)
                let (client, peer) = try await connectAndAccept(listener, ring: group.rings[0])
                try await peer.send("kept")
                guard let bytes = try await client.receiveBytes(timeout: .seconds(5)) else {
                    Issue.record("end of stream instead of bytes")
                    return
                }
                try await client.close()
                try await peer.close()
                await listener.close()
                await group.shutdown()
                // The buffer's memory stays mapped while the value lives; it ends off the ring.
                #expect(Array(bytes) == Array("kept".utf8))
            }
        }

        @Test func sendingReceivedBytesWithATimeoutDeliversThem() async throws {
            try await withConnectedPair { client, peer in
                try await peer.send("with a timeout")
                guard let bytes = try await client.receiveBytes(timeout: .seconds(5)) else {
                    Issue.record("end of stream instead of bytes")
                    return
                }
                let count = bytes.count
                try await client.send(bytes, timeout: .seconds(5))
                #expect(try await receiveExactly(count, from: peer) == Array("with a timeout".utf8.prefix(count)))
            }
        }
    }
}
