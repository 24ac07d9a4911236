import AsyncUring
import AsyncUringSocket
import Testing

extension SocketTests {
    /// Receives take their buffers from a ring's small provided buffer ring, so they run out
    /// (`ENOBUFS`) and are reused constantly while many connections receive at once.
    @Suite struct ProvidedBufferTests {
        @Test(arguments: [1, 2, 1024] as [UInt16])
        func receivesThatRunOutOfProvidedBuffersLoseAndReorderNothing(bufferCount: UInt16) async throws {
            raiseDescriptorLimit()
            try await withLeakCheck {
                let group = try RingGroup(
                    numberOfRings: 1,
                    configuration: RingConfiguration(receiveBufferCount: bufferCount, receiveBufferSize: 64))
                let (server, running) = try runEchoServer(group: group)
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
                    configuration: RingConfiguration(receiveBufferCount: 4, receiveBufferSize: 256))
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
                // One provided buffer: of two receives whose data arrives together, one gets
                // the buffer and the other ends with ENOBUFS until the first gives it back.
                let group = try RingGroup(
                    numberOfRings: 1, configuration: RingConfiguration(receiveBufferCount: 1, receiveBufferSize: 64))
                let ring = group.rings[0]
                let listener = try TCPListener.bind(port: 0, group: group)
                let clientRings = try RingGroup(numberOfRings: 1)
                for round in 0..<20 {
                    async let acceptedFirst = listener.accept()
                    let first = try await TCPConnection.connect(to: listener.localAddress, ring: clientRings.rings[0])
                    let firstPeer = try await acceptedFirst
                    async let acceptedSecond = listener.accept()
                    let second = try await TCPConnection.connect(to: listener.localAddress, ring: clientRings.rings[0])
                    let secondPeer = try await acceptedSecond
                    let receiving = [firstPeer, secondPeer].map { peer in
                        Task(executorPreference: ring) { try await peer.receive(maxBytes: 64, timeout: .seconds(5)) }
                    }
                    try await Task.sleep(for: .milliseconds(10))
                    // Keep the ring thread busy while both arrive, so the kernel handles them
                    // in the same batch of completions.
                    let busy = Task(executorPreference: ring) {
                        let end = ContinuousClock.now + .milliseconds(30)
                        while ContinuousClock.now < end {}
                    }
                    try await Task.sleep(for: .milliseconds(5))
                    try await clientRings.rings[0].run {
                        try await first.send("1")
                        try await second.send("2")
                    }
                    await busy.value
                    var received: [[UInt8]?] = []
                    for task in receiving { received.append(try await task.value) }
                    #expect(received == [Array("1".utf8), Array("2".utf8)], "round \(round)")
                    for connection in [first, second, firstPeer, secondPeer] { try await connection.close() }
                }
                await listener.close()
                await group.shutdown()
                await clientRings.shutdown()
            }
        }

        /// Sends connection `index`'s tagged bytes in chunks of uneven sizes while receiving
        /// them back; returns a description of the first wrong byte, or nil.
        private static func echoInUnevenChunks(index: Int, to address: SocketAddress, group: RingGroup) async throws
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
