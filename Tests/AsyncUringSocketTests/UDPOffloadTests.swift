import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import SystemPackage
import Testing

extension SocketTests {
    /// Segmentation and receive offload (`UDP_SEGMENT`, `UDP_GRO`) on real loopback sockets:
    /// one send of many datagrams, and a receive buffer holding many, still come and go as
    /// single datagrams through the API.
    @Suite(.timeLimit(.minutes(1)))
    struct UDPOffloadTests {
        /// 1,050 bytes with a segment size of 100: ten datagrams of 100 bytes and one of 50.
        static let payload = pattern(count: 1_050, seed: 9)
        static let expected = stride(from: 0, to: 1_050, by: 100).map { Array(payload[$0..<min($0 + 100, 1_050)]) }

        @Test(arguments: ["127.0.0.1", "::1"])
        func oneSendWithASegmentSizeArrivesAsSeparateDatagrams(host: String) async throws {
            try await withLeakCheck {
                let client = try UDPSocket.bind(host: host, port: 0)
                let server = try UDPSocket.bind(host: host, port: 0)
                try client.setOption(.udpSegmentSize(100))
                #expect(try client.option(.udpSegmentSize) == 100)
                try await client.send(Self.payload, to: server.localAddress)
                for expected in Self.expected {
                    let datagram = try await server.receive(timeout: .seconds(5))
                    #expect(datagram == Datagram(bytes: expected, sender: client.localAddress))
                }
                try await client.close()
                try await server.close()
            }
        }

        @Test(arguments: ["127.0.0.1", "::1"])
        func coalescedDatagramsAreReceivedOneByOneInOrder(host: String) async throws {
            try await withLeakCheck {
                let group = try RingGroup(
                    numberOfRings: 1,
                    configuration: RingConfiguration(receiveBufferSize: UDPSocket.receiveOffloadBufferSize)
                )
                let ring = group.rings[0]
                let client = try UDPSocket.bind(host: host, port: 0, ring: ring)
                let server = try UDPSocket.bind(host: host, port: 0, ring: ring)
                let other = try UDPSocket.bind(host: host, port: 0, ring: ring)
                try server.setOption(.udpReceiveOffload(true))
                #expect(try server.option(.udpReceiveOffload) == 1)
                try client.setOption(.udpSegmentSize(100))
                try await client.send(Self.payload, to: server.localAddress)
                try await other.send([7, 7, 7], to: server.localAddress)
                // A receive shorter than a segment cuts that one only.
                let short = try await server.receive(maxBytes: 10, timeout: .seconds(5))
                #expect(
                    short
                        == Datagram(
                            bytes: Array(Self.expected[0].prefix(10)),
                            sender: client.localAddress,
                            isTruncated: true
                        )
                )
                for expected in Self.expected.dropFirst() {
                    let datagram = try await server.receive(timeout: .seconds(5))
                    #expect(datagram == Datagram(bytes: expected, sender: client.localAddress))
                }
                let last = try await server.receive(timeout: .seconds(5))
                #expect(last == Datagram(bytes: [7, 7, 7], sender: other.localAddress))
                // The kernel handed the segmented send over whole: the split above ran.
                #expect(try await ring.run { server.coalescedReceiveBuffers } == 1)
                for socket in [client, server, other] { try await socket.close() }
                await group.shutdown()
            }
        }

        @Test func receiveOffloadIsRefusedWhereABufferCannotHoldACoalescedRun() async throws {
            try await withLeakCheck {
                let socket = try UDPSocket.bind(port: 0)
                let refused = #expect(throws: SocketError.self) { try socket.setOption(.udpReceiveOffload(true)) }
                #expect(refused?.operation == .setOption)
                #expect(refused?.errno == .invalidArgument)
                #expect(try socket.option(.udpReceiveOffload) == 0)
                // Turning it off needs no room.
                try socket.setOption(.udpReceiveOffload(false))
                try await socket.close()
            }
        }
    }
}
