import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import SystemPackage
import Testing

extension SocketTests {
    @Suite struct ConnectionTests {
        @Test func thousandConcurrentConnectionsEachGetTheirOwnBytes() async throws {
            raiseDescriptorLimit()
            try await withLeakCheck {
                let (listener, server) = try startEchoServer()
                defer { server.cancel() }
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    for index in 0..<1000 {
                        group.addTask {
                            let client = try await TCPConnection.connect(to: listener.localAddress)
                            let payload = pattern(count: 512, seed: index)
                            try await client.send(payload)
                            let echoed = try await receiveExactly(payload.count, from: client)
                            try await client.close()
                            return echoed == payload
                        }
                    }
                    var matched = 0
                    for try await isIntact in group where isIntact { matched += 1 }
                    #expect(matched == 1000)
                }
                server.cancel()
                _ = try? await server.value
            }
        }

        @Test func peerHalfCloseReadsAsEndOfStreamAndWritesStillGoThrough() async throws {
            try await withConnectedPair { client, server in
                try await client.send("request")
                try await client.shutdown(.write)
                #expect(try await receiveExactly(7, from: server) == Array("request".utf8))
                #expect(try await server.receive(maxBytes: 100) == nil)
                try await server.send("response after half close")
                #expect(try await receiveExactly(25, from: client) == Array("response after half close".utf8))
                try await server.close()
                #expect(try await client.receive(maxBytes: 100) == nil)
                try await client.close()
            }
        }

        @Test func peerResetGivesResetError() async throws {
            try await withConnectedPair { client, server in
                try client.setOption(.resetOnClose)
                try await client.close()
                let error = await #expect(throws: SocketError.self) { try await server.receive(maxBytes: 100) }
                #expect(error?.errno == .connectionReset)
                #expect(error?.operation == .receive)
                #expect(error?.description == "receive failed: Connection reset by peer (errno 104)")
                // Sending to a reset peer is a typed error too, never SIGPIPE.
                let sendError = await #expect(throws: SocketError.self) {
                    for _ in 0..<8 { try await server.send(pattern(count: 65536)) }
                }
                #expect(sendError?.isConnectionReset == true)
                try await server.close()
            }
        }

        @Test func connectionRefused() async throws {
            try await withLeakCheck {
                // A port that was just free: bind, note it, close.
                let probe = try TCPListener.bind(port: 0)
                let address = probe.localAddress
                await probe.close()
                let error = await #expect(throws: SocketError.self) { try await TCPConnection.connect(to: address) }
                #expect(error?.errno == .connectionRefused)
                #expect(error?.operation == .connect)
            }
        }

        @Test func receiveTimeout() async throws {
            try await withEchoClient { client, _ in
                let error = await #expect(throws: SocketError.self) {
                    try await client.receive(maxBytes: 100, timeout: .milliseconds(100))
                }
                #expect(error?.errno == .timedOut)
                // The connection still works after a timeout.
                try await client.send("still here")
                #expect(try await receiveExactly(10, from: client) == Array("still here".utf8))
            }
        }

        @Test func concurrentReceivesAreRejected() async throws {
            try await withEchoClient { client, _ in
                let first = Task { try await client.receive(maxBytes: 100) }
                try await Task.sleep(for: .milliseconds(50))
                let error = await #expect(throws: SocketError.self) { try await client.receive(maxBytes: 100) }
                #expect(error?.errno == .alreadyInProcess)
                try await client.send("x")
                #expect(try await first.value == Array("x".utf8))
            }
        }

        @Test func closedConnectionThrowsAndDoubleCloseIsAnError() async throws {
            try await withEchoClient { client, _ in
                try await client.close()
                #expect(client.isClosed)
                let receiveError = await #expect(throws: SocketError.self) { try await client.receive(maxBytes: 10) }
                #expect(receiveError?.errno == .badFileDescriptor)
                let sendError = await #expect(throws: SocketError.self) { try await client.send("x") }
                #expect(sendError?.errno == .badFileDescriptor)
                let closeError = await #expect(throws: SocketError.self) { try await client.close() }
                #expect(closeError?.operation == .close)
                #expect(throws: SocketError.self) { try client.setOption(.noDelay(true)) }
                #expect(throws: SocketError.self) { try client.localAddress }
            }
        }

        @Test func emptyBuffersAndBadSizesAreRejected() async throws {
            try await withEchoClient { client, _ in
                var empty: [UInt8] = []
                await #expect(throws: SocketError.self) { try await client.receive(into: &empty) }
                await #expect(throws: SocketError.self) { try await client.receive(maxBytes: 0) }
                await #expect(throws: SocketError.self) { try await client.receive(maxBytes: -5) }
                #expect(throws: SocketError.self) { try client.setOption(.receiveBufferSize(-1)) }
                try await client.send([UInt8]())  // sending nothing is fine
            }
        }

        @Test @MainActor func callsFromTheMainActorHopToTheRingAndBack() async throws {
            try await withEchoClient { client, _ in
                MainActor.assertIsolated()
                var buffer = [UInt8](repeating: 0, count: 16)
                try await client.send("from main")
                var received = 0
                while received < 9, let count = try await client.receive(into: &buffer) { received += count }
                MainActor.assertIsolated()
                #expect(received == 9)
            }
        }

        @Test func socketOptionsAndAddresses() async throws {
            try await withEchoClient { client, serverAddress in
                #expect(try client.option(.noDelay) != 0)
                try client.setOption(.keepAlive(true))
                #expect(try client.option(.keepAlive) != 0)
                try client.setOption(.receiveBufferSize(65536))
                #expect(try client.option(.receiveBufferSize) >= 65536)
                #expect(try client.remoteAddress == serverAddress)
                #expect(try client.localAddress.host == "127.0.0.1")
            }
        }
    }
}
