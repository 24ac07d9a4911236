import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import Testing

extension SocketTests {
    /// Receives take their buffers from a ring's small provided buffer ring, so they run out
    /// (`ENOBUFS`) and are reused constantly while many connections receive at once.
    @Suite struct ProvidedBufferTests {
        @Test(arguments: [1, 2, 1024] as [UInt16], [false, true])
        func receivesThatRunOutOfProvidedBuffersLoseAndReorderNothing(bufferCount: UInt16, uncopied: Bool) async throws
        {
            raiseDescriptorLimit()
            try await withLeakCheck {
                let group = try RingGroup(
                    numberOfRings: 1,
                    configuration: RingConfiguration(receiveBufferCount: bufferCount, receiveBufferSize: 64)
                )
                let (server, running) = try runEchoServer(group: group, uncopied: uncopied)
                let address = server.listener.localAddress
                let intact = try await withThrowingTaskGroup(of: Bool.self) { tasks in
                    for index in 0..<32 {
                        tasks.addTask {
                            let client = try await TCPConnection.connect(to: address, ring: group.rings[0])
                            let payload = taggedPattern(count: 8 << 10, connection: index)
                            async let sent: Void = client.send(payload)
                            let echoed = try await receiveExactly(payload.count, from: client, timeout: .seconds(20))
                            try await sent
                            try await client.close()
                            return echoed == payload
                        }
                    }
                    return try await tasks.reduce(0) { $0 + ($1 ? 1 : 0) }
                }
                #expect(intact == 32)
                server.triggerGracefulShutdown()
                try await running.value
                await group.shutdown()
            }
        }

        @Test func noByteOfOneConnectionAppearsInAnothersReceive() async throws {
            raiseDescriptorLimit()
            try await withLeakCheck {
                let group = try RingGroup(
                    numberOfRings: 2,
                    configuration: RingConfiguration(receiveBufferCount: 4, receiveBufferSize: 256)
                )
                let (server, running) = try runEchoServer(group: group)
                let address = server.listener.localAddress
                let mismatches = try await withThrowingTaskGroup(of: String?.self) { tasks in
                    for index in 0..<200 {
                        tasks.addTask {
                            try await Self.echoInUnevenChunks(index: index, to: address, group: group)
                        }
                    }
                    return try await tasks.compactMap { $0 }.reduce(into: []) { $0.append($1) }
                }
                #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
                server.triggerGracefulShutdown()
                try await running.value
                await group.shutdown()
            }
        }

        @Test func aReceiveThatFoundNoBufferIsArmedAgainOnceTheBufferIsBack() async throws {
            try await withLeakCheck {
                // One provided buffer, held by bytes that wait unread on one connection while
                // data arrives on another: that receive ends with ENOBUFS, and must be armed
                // again once the first connection's reader gives the buffer back.
                let group = try RingGroup(
                    numberOfRings: 1,
                    configuration: RingConfiguration(receiveBufferCount: 1, receiveBufferSize: 64)
                )
                let listener = try TCPListener.bind(port: 0, group: group)
                let clientRings = try RingGroup(numberOfRings: 1)
                let (holder, holderPeer) = try await connectAndAccept(listener, ring: clientRings.rings[0])
                let (starved, starvedPeer) = try await connectAndAccept(listener, ring: clientRings.rings[0])
                // Arm both multishot receives.
                for (client, peer) in [(holder, holderPeer), (starved, starvedPeer)] {
                    try await client.send("0")
                    #expect(try await peer.receive(maxBytes: 64, timeout: .seconds(5)) == Array("0".utf8))
                }
                try await holder.send("1")  // takes the only buffer; nobody reads it yet
                try await Task.sleep(for: .milliseconds(50))
                let receiving = Task { try await starvedPeer.receive(maxBytes: 64, timeout: .seconds(5)) }
                try await Task.sleep(for: .milliseconds(20))
                try await starved.send("2")  // no buffer: ENOBUFS
                try await Task.sleep(for: .milliseconds(50))
                #expect(try await holderPeer.receive(maxBytes: 64, timeout: .seconds(5)) == Array("1".utf8))
                #expect(try await receiving.value == Array("2".utf8))
                for connection in [holder, holderPeer, starved, starvedPeer] { try await connection.close() }
                await listener.close()
                await group.shutdown()
                await clientRings.shutdown()
            }
        }

        /// Sends connection `index`'s tagged bytes in chunks of uneven sizes while receiving
        /// them back; returns a description of the first wrong byte, or nil.
        private static func echoInUnevenChunks(
            index: Int,
            to address: SocketAddress,
            group: RingGroup
        ) async throws
            -> String?
        {
            let client = try await TCPConnection.connect(to: address, ring: group.next())
            let payload = taggedPattern(count: 4 << 10, connection: index)
            async let sent: Void = {
                var offset = 0
                var size = 1 + index % 97
                while offset < payload.count {
                    let end = min(payload.count, offset + size)
                    try await client.send(payload[offset..<end])
                    offset = end
                    size = size * 7 % 1500 + 1
                }
            }()
            let echoed = try await receiveExactly(payload.count, from: client, timeout: .seconds(20))
            try await sent
            try await client.close()
            guard let wrong = zip(echoed, payload).enumerated().first(where: { $0.element.0 != $0.element.1 }) else {
                return echoed.count == payload.count ? nil : "connection \(index): \(echoed.count) bytes echoed"
            }
            return "connection \(index): byte \(wrong.offset) is \(wrong.element.0), expected \(wrong.element.1)"
        }
    }
}
