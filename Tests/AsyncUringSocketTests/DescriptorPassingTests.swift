import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import Glibc
import SystemPackage
import Testing

/// Runs `body` with the two ends of a Unix domain connection over an abstract name;
/// afterwards closes whichever `body` left open and checks that no descriptor leaked.
func withUnixPair(
    isolation: isolated (any Actor)? = #isolation,
    _ body: (_ client: TCPConnection, _ peer: TCPConnection) async throws -> Void
) async throws {
    try await withLeakCheck {
        let name = "async-uring-pair-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let listener = try TCPListener.bind(to: SocketAddress(abstractUnixName: name))
        let (client, peer) = try await connectAndAccept(listener)
        await listener.close()
        try await body(client, peer)
        for connection in [client, peer] where !connection.isClosed { try? await connection.close() }
    }
}

extension SocketTests {
    @Suite struct DescriptorPassingTests {
        @Test func aPipePassedOverTheConnectionReachesTheSameFile() async throws {
            try await withUnixPair { client, peer in
                let pipe = try FileDescriptor.pipe()
                defer {
                    try? pipe.readEnd.close()
                    try? pipe.writeEnd.close()
                }
                try await client.send("ahead")
                try await client.send(Array("pipe".utf8), passing: [pipe.writeEnd])
                var bytes: [UInt8] = []
                var passed: [FileDescriptor] = []
                while bytes.count < 9, let message = try await peer.receive(maxBytes: 64, maxDescriptors: 4) {
                    bytes += message.bytes
                    passed += message.descriptors
                    #expect(!message.isTruncated)
                }
                #expect(bytes == Array("aheadpipe".utf8))
                let writeEnd = try #require(passed.first)
                #expect(passed.count == 1)
                #expect(writeEnd != pipe.writeEnd)
                #expect(fcntl(writeEnd.rawValue, F_GETFD) & FD_CLOEXEC != 0)
                _ = try writeEnd.writeAll(Array("through".utf8))
                try writeEnd.close()
                var buffer = [UInt8](repeating: 0, count: 16)
                let count = try buffer.withUnsafeMutableBytes { try pipe.readEnd.read(into: $0) }
                #expect(Array(buffer[..<count]) == Array("through".utf8))
            }
        }

        @Test func theMessageGoesAfterTheBytesQueuedBeforeIt() async throws {
            try await withUnixPair { client, peer in
                let pipe = try FileDescriptor.pipe()
                defer {
                    try? pipe.readEnd.close()
                    try? pipe.writeEnd.close()
                }
                let bulk = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 % 251) }
                let sending = Task {
                    try await client.send(bulk)
                    try await client.send([255], passing: [pipe.writeEnd])
                }
                var received: [UInt8] = []
                var descriptorsAt: [Int] = []
                while received.count < bulk.count + 1,
                    let message = try await peer.receive(maxBytes: 65536, maxDescriptors: 2)
                {
                    received += message.bytes
                    for descriptor in message.descriptors {
                        descriptorsAt.append(received.count)
                        try descriptor.close()
                    }
                }
                try await sending.value
                #expect(received == bulk + [255])
                #expect(descriptorsAt == [bulk.count + 1])
            }
        }

        @Test func aSecondReceiveWhileOneWaitsIsRefused() async throws {
            try await withUnixPair { client, peer in
                let waiting = Task { try await peer.receive(maxBytes: 8, maxDescriptors: 1) }
                try await Task.sleep(for: .milliseconds(20))
                let error = await #expect(throws: SocketError.self) {
                    try await peer.receive(maxBytes: 8, maxDescriptors: 1)
                }
                #expect(error?.errno == .alreadyInProcess)
                try await client.send("z")
                #expect(try await waiting.value?.bytes == Array("z".utf8))
            }
        }

        @Test func descriptorsBeyondTheRoomAreReportedAndClosedByTheKernel() async throws {
            try await withUnixPair { client, peer in
                let pipe = try FileDescriptor.pipe()
                defer {
                    try? pipe.readEnd.close()
                    try? pipe.writeEnd.close()
                }
                try await client.send([1], passing: [pipe.readEnd, pipe.writeEnd, pipe.readEnd])
                let message = try #require(try await peer.receive(maxBytes: 8, maxDescriptors: 1))
                #expect(message.bytes == [1])
                #expect(message.isTruncated)
                #expect(message.descriptors.count == 1)
                for descriptor in message.descriptors { try descriptor.close() }
            }
        }

        @Test func endOfStreamIsNil() async throws {
            try await withUnixPair { client, peer in
                try await client.close()
                #expect(try await peer.receive(maxBytes: 8, maxDescriptors: 1) == nil)
            }
        }

        @Test func anOrdinaryReceiveFirstMakesTheDescriptorReceiveRefuse() async throws {
            try await withUnixPair { client, peer in
                try await client.send("x")
                #expect(try await receiveExactly(1, from: peer) == Array("x".utf8))
                let error = await #expect(throws: SocketError.self) {
                    try await peer.receive(maxBytes: 8, maxDescriptors: 1)
                }
                #expect(error?.errno == .invalidArgument)
            }
        }

        @Test func tcpConnectionsRefuseToPassDescriptors() async throws {
            try await withConnectedPair { client, peer in
                let pipe = try FileDescriptor.pipe()
                defer {
                    try? pipe.readEnd.close()
                    try? pipe.writeEnd.close()
                }
                let sending = await #expect(throws: SocketError.self) {
                    try await client.send([1], passing: [pipe.readEnd])
                }
                #expect(sending?.errno == .notSupported)
                let receiving = await #expect(throws: SocketError.self) {
                    try await peer.receive(maxBytes: 8, maxDescriptors: 1)
                }
                #expect(receiving?.errno == .notSupported)
            }
        }

        @Test func aWaitingReceiveTimesOutIsCancelledAndEndsOnClose() async throws {
            try await withUnixPair { _, peer in
                let timedOut = await #expect(throws: SocketError.self) {
                    try await peer.receive(maxBytes: 8, maxDescriptors: 1, timeout: .milliseconds(20))
                }
                #expect(timedOut?.errno == .timedOut)
                let cancelled = Task { try await peer.receive(maxBytes: 8, maxDescriptors: 1) }
                try await Task.sleep(for: .milliseconds(20))
                cancelled.cancel()
                await #expect(throws: CancellationError.self) { try await cancelled.value }
                let waiting = Task { try await peer.receive(maxBytes: 8, maxDescriptors: 1) }
                try await Task.sleep(for: .milliseconds(20))
                try await peer.close()
                let closed = await #expect(throws: SocketError.self) { try await waiting.value }
                #expect(closed?.errno == .badFileDescriptor)
            }
        }

        @Test func aDescriptorThatIsNotOpenFailsTheSendTyped() async throws {
            try await withUnixPair { client, _ in
                let error = await #expect(throws: SocketError.self) {
                    try await client.send([1], passing: [FileDescriptor(rawValue: 1_000_000)])
                }
                #expect(error?.errno == .badFileDescriptor)
                #expect(error?.operation == .send)
            }
        }
    }
}
