import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import SystemPackage
import Testing

extension SocketTests {
    /// ``UDPSocket`` on real loopback sockets, IPv4 and IPv6.
    @Suite(.timeLimit(.minutes(1)))
    struct UDPSocketTests {
        @Test(arguments: ["127.0.0.1", "::1"])
        func datagramsGoBothWaysAndNameTheirSender(host: String) async throws {
            try await withLeakCheck {
                let client = try UDPSocket.bind(host: host, port: 0)
                let server = try UDPSocket.bind(host: host, port: 0)
                try await client.send(Array("ping".utf8), to: server.localAddress)
                let request = try await server.receive(timeout: .seconds(5))
                #expect(request == Datagram(bytes: Array("ping".utf8), sender: client.localAddress))
                try await server.send(Array("pong".utf8), to: request.sender)
                let reply = try await client.receive(timeout: .seconds(5))
                #expect(reply == Datagram(bytes: Array("pong".utf8), sender: server.localAddress))
                // An empty datagram is a datagram.
                try await client.send([], to: server.localAddress)
                #expect(try await server.receive(timeout: .seconds(5)).bytes.isEmpty)
                try await client.close()
                try await server.close()
            }
        }

        @Test func aConnectedSocketSendsToItsPeerAndReceivesOnlyFromIt() async throws {
            try await withLeakCheck {
                let peer = try UDPSocket.bind(port: 0)
                let stranger = try UDPSocket.bind(port: 0)
                let client = try UDPSocket.bind(port: 0)
                try client.connect(to: peer.localAddress)
                #expect(client.remoteAddress == peer.localAddress)
                try await client.send(Array("hello".utf8))
                #expect(try await peer.receive(timeout: .seconds(5)).sender == client.localAddress)
                // The stranger's datagram is dropped by the kernel; the peer's arrives.
                try await stranger.send(Array("noise".utf8), to: client.localAddress)
                try await peer.send(Array("reply".utf8), to: client.localAddress)
                let received = try await client.receive(timeout: .seconds(5))
                #expect(received == Datagram(bytes: Array("reply".utf8), sender: peer.localAddress))
                for socket in [peer, stranger, client] { try await socket.close() }
            }
        }

        @Test func aDatagramLongerThanTheReceiveIsReportedTruncated() async throws {
            try await withLeakCheck {
                let client = try UDPSocket.bind(port: 0)
                let server = try UDPSocket.bind(port: 0)
                let payload = pattern(count: 1000, seed: 3)
                try await client.send(payload, to: server.localAddress)
                let datagram = try await server.receive(maxBytes: 100, timeout: .seconds(5))
                #expect(datagram.isTruncated)
                #expect(datagram.bytes == Array(payload.prefix(100)))
                // The rest of it is gone with it: the next datagram is the next one.
                try await client.send(payload, to: server.localAddress)
                let whole = try await server.receive(maxBytes: 1000, timeout: .seconds(5))
                #expect(!whole.isTruncated)
                #expect(whole.bytes == payload)
                try await client.close()
                try await server.close()
            }
        }

        /// A datagram longer than a receive buffer holds (16 KiB less header and address).
        @Test func aDatagramLongerThanAReceiveBufferIsReportedTruncated() async throws {
            try await withLeakCheck {
                let client = try UDPSocket.bind(port: 0)
                let server = try UDPSocket.bind(port: 0)
                let payload = pattern(count: 60_000, seed: 4)
                try await client.send(payload, to: server.localAddress)
                let datagram = try await server.receive(timeout: .seconds(5))
                #expect(datagram.isTruncated)
                #expect(datagram.bytes.count == 16_384 - 168)
                #expect(datagram.bytes == Array(payload.prefix(datagram.bytes.count)))
                try await client.close()
                try await server.close()
            }
        }

        /// More datagrams than the socket takes from the kernel before anyone reads: they
        /// wait (in the socket, then in the kernel's receive buffer) and arrive in order.
        @Test func datagramsSentBeforeAnyReceiveAllArriveInOrder() async throws {
            try await withLeakCheck {
                let client = try UDPSocket.bind(port: 0)
                let server = try UDPSocket.bind(port: 0)
                // Armed first, so that the datagrams queue in the socket, beyond its limit.
                await #expect(throws: SocketError.self) { try await server.receive(timeout: .milliseconds(1)) }
                let count = 300
                for index in 0..<count {
                    try await client.send(pattern(count: 100, seed: index), to: server.localAddress)
                }
                for index in 0..<count {
                    #expect(try await server.receive(timeout: .seconds(5)).bytes == pattern(count: 100, seed: index))
                }
                try await client.close()
                try await server.close()
            }
        }

        @Test func aReceiveTimesOutAndACancelledOneLosesNoLaterDatagram() async throws {
            try await withLeakCheck {
                let client = try UDPSocket.bind(port: 0)
                let server = try UDPSocket.bind(port: 0)
                let timedOut = await #expect(throws: SocketError.self) {
                    try await server.receive(timeout: .milliseconds(20))
                }
                #expect(timedOut?.isTimeout == true)
                let waiting = Task { try await server.receive() }
                try await Task.sleep(for: .milliseconds(20))
                waiting.cancel()
                await #expect(throws: CancellationError.self) { try await waiting.value }
                try await client.send(Array("later".utf8), to: server.localAddress)
                #expect(try await server.receive(timeout: .seconds(5)).bytes == Array("later".utf8))
                try await client.close()
                try await server.close()
            }
        }

        @Test func closingEndsAWaitingReceiveAndLaterCallsThrowEBADF() async throws {
            try await withLeakCheck {
                let socket = try UDPSocket.bind(port: 0)
                let waiting = Task { try await socket.receive() }
                try await Task.sleep(for: .milliseconds(20))
                await SplitTests.expectSocketError(.alreadyInProcess) { _ = try await socket.receive() }
                try await socket.close()
                await SplitTests.expectSocketError(.badFileDescriptor, detail: "socket closed") {
                    _ = try await waiting.value
                }
                await SplitTests.expectSocketError(.badFileDescriptor, detail: "socket closed") {
                    try await socket.send([1], to: socket.localAddress)
                }
                try await socket.close()
            }
        }

        @Test func concurrentSendersEachDatagramArrivesWhole() async throws {
            try await withLeakCheck {
                let client = try UDPSocket.bind(port: 0)
                let server = try UDPSocket.bind(port: 0)
                let count = 64
                try await withThrowingTaskGroup(of: Void.self) { senders in
                    for index in 0..<count {
                        senders.addTask {
                            try await client.send(pattern(count: 512, seed: index), to: server.localAddress)
                        }
                    }
                    try await senders.waitForAll()
                }
                var received: Set<[UInt8]> = []
                for _ in 0..<count { received.insert(try await server.receive(timeout: .seconds(5)).bytes) }
                #expect(received == Set((0..<count).map { pattern(count: 512, seed: $0) }))
                try await client.close()
                try await server.close()
            }
        }

        /// Sends are write-behind: a datagram that fails reports its error to the next send,
        /// once, and is not sent; the socket goes on.
        @Test func aFailedDatagramReportsItsErrorToTheNextSendOnce() async throws {
            try await withLeakCheck {
                let client = try UDPSocket.bind(port: 0)
                let server = try UDPSocket.bind(port: 0)
                try await client.send([UInt8](repeating: 1, count: 70_000), to: server.localAddress)
                // A receive that waits lets the ring reap the send's completion.
                _ = try? await client.receive(timeout: .milliseconds(20))
                await SplitTests.expectSocketError(.messageTooLong) {
                    try await client.send(Array("dropped".utf8), to: server.localAddress)
                }
                try await client.send(Array("sent".utf8), to: server.localAddress)
                #expect(try await server.receive(timeout: .seconds(5)).bytes == Array("sent".utf8))
                try await client.close()
                try await server.close()
            }
        }

        @Test func theReceiveBufferSizeIsAnOptionAndTCPOptionsAreRefused() async throws {
            try await withLeakCheck {
                let socket = try UDPSocket.bind(port: 0)
                try socket.setOption(.receiveBufferSize(1 << 20))
                // The kernel doubles it (for its bookkeeping), within net.core.rmem_max.
                #expect(try socket.option(.receiveBufferSize) > 1 << 16)
                let refused = #expect(throws: SocketError.self) { try socket.setOption(.noDelay(true)) }
                #expect(refused?.operation == .setOption)
                try await socket.close()
            }
        }

        @Test func sendingToNobodyOnAConnectedSocketReportsConnectionRefused() async throws {
            try await withLeakCheck {
                let gone = try UDPSocket.bind(port: 0)
                let address = gone.localAddress
                try await gone.close()
                let client = try UDPSocket.bind(port: 0)
                try client.connect(to: address)
                try await client.send([1])
                // The ICMP port unreachable comes back as ECONNREFUSED on the next call.
                await SplitTests.expectSocketError(.connectionRefused) {
                    _ = try await client.receive(timeout: .seconds(5))
                }
                try await client.close()
            }
        }
    }
}
