import AsyncUring
import AsyncUringNIO
import AsyncUringSocket
import NIOCore
import Testing

/// `ByteBuffer` sends and receives over real loopback connections.
@Suite(.serialized) struct ByteBufferTests {
    @Test(.timeLimit(.minutes(1)), arguments: [1, 300, 16384, 1 << 20])
    func echoesAByteBufferIntact(size: Int) async throws {
        try await withEchoServer { address in
            let connection = try await TCPConnection.connect(to: address)
            let sent = ByteBuffer(bytes: pattern(count: size))
            try await connection.send(sent)
            var received = ByteBuffer()
            while received.readableBytes < size {
                let count = try #require(try await connection.receive(into: &received, maxBytes: size))
                #expect(count > 0)
            }
            #expect(received == sent)
            try await connection.close()
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func sendLeavesTheBufferAndSendsOnlyReadableBytes() async throws {
        try await withEchoServer { address in
            let connection = try await TCPConnection.connect(to: address)
            var buffer = ByteBuffer(string: "skip:hello")
            buffer.moveReaderIndex(forwardBy: 5)
            let before = buffer
            try await connection.send(buffer)
            #expect(buffer == before && buffer.readerIndex == 5)
            let echoed = try await receiveExactly(5, from: connection)
            #expect(echoed == ByteBuffer(string: "hello"))
            try await connection.close()
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func receiveAppendsAtTheWriterIndex() async throws {
        try await withEchoServer { address in
            let connection = try await TCPConnection.connect(to: address)
            try await connection.send(ByteBuffer(string: "world"))
            var buffer = ByteBuffer(string: "hello ")
            buffer.moveReaderIndex(forwardBy: 1)
            while buffer.readableBytes < 10 {
                _ = try await connection.receive(into: &buffer, maxBytes: 5)
            }
            #expect(buffer.readerIndex == 1)
            #expect(buffer.readString(length: buffer.readableBytes) == "ello world")
            try await connection.close()
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func gatheredBuffersArriveInOrder() async throws {
        try await withEchoServer { address in
            let connection = try await TCPConnection.connect(to: address)
            let parts = ["one ", "", "two ", "three"].map { ByteBuffer(string: $0) }
            try await connection.send(contentsOf: parts)
            let echoed = try await receiveExactly(13, from: connection)
            #expect(echoed == ByteBuffer(string: "one two three"))
            try await connection.close()
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func endOfStreamIsNilAndLeavesTheBufferUnchanged() async throws {
        try await withEchoServer { address in
            let connection = try await TCPConnection.connect(to: address)
            try await connection.send(ByteBuffer(string: "bye"))
            try await connection.shutdown(.write)
            // The echo server echoes "bye", sees end of stream and closes its side.
            let echoed = try await receiveExactly(3, from: connection)
            #expect(echoed == ByteBuffer(string: "bye"))
            var buffer = ByteBuffer(string: "kept")
            #expect(try await connection.receive(into: &buffer) == nil)
            #expect(buffer == ByteBuffer(string: "kept"))
            #expect(try await connection.receiveBuffer() == nil)
            try await connection.close()
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func receiveBufferReturnsOnlyTheReceivedBytes() async throws {
        try await withEchoServer { address in
            let connection = try await TCPConnection.connect(to: address)
            try await connection.send(ByteBuffer(string: "abc"))
            var received = ByteBuffer()
            while received.readableBytes < 3 {
                var part = try #require(try await connection.receiveBuffer(maxBytes: 3))
                #expect(part.readableBytes > 0 && part.readableBytes <= 3)
                received.writeBuffer(&part)
            }
            #expect(received == ByteBuffer(string: "abc"))
            try await connection.close()
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func emptySendsAreNoOpsAndBadSizesAreRejected() async throws {
        try await withEchoServer { address in
            let connection = try await TCPConnection.connect(to: address)
            try await connection.send(ByteBuffer())
            try await connection.send(contentsOf: [ByteBuffer(), ByteBuffer()])
            var buffer = ByteBuffer()
            let error = await #expect(throws: SocketError.self) {
                try await connection.receive(into: &buffer, maxBytes: 0)
            }
            #expect(error?.errno == .invalidArgument)
            try await connection.close()
            await #expect(throws: SocketError.self) { try await connection.send(ByteBuffer(string: "x")) }
        }
    }
}

/// Runs `body` against an echo server on its own ring, then stops both.
func withEchoServer(_ body: (AsyncUringSocket.SocketAddress) async throws -> Void) async throws {
    let group = try RingGroup(numberOfRings: 1)
    let listener = try TCPListener.bind(host: "127.0.0.1", port: 0, group: group)
    let server = TCPServer(listener: listener, gracePeriod: .seconds(1)) { connection in
        var buffer = [UInt8](repeating: 0, count: 16384)
        while let count = try await connection.receive(into: &buffer) {
            try await connection.send(buffer[..<count])
        }
    }
    let running = Task { try await server.run() }
    do {
        try await body(listener.localAddress)
    } catch {
        server.triggerGracefulShutdown()
        try? await running.value
        await group.shutdown()
        throw error
    }
    server.triggerGracefulShutdown()
    try await running.value
    await group.shutdown()
}

/// Receives exactly `count` bytes into a new buffer (fewer only at end of stream).
func receiveExactly(_ count: Int, from connection: TCPConnection) async throws -> ByteBuffer {
    var buffer = ByteBuffer()
    while buffer.readableBytes < count,
        try await connection.receive(into: &buffer, maxBytes: count - buffer.readableBytes) != nil
    {}
    return buffer
}

/// Bytes 0...250 repeated, so misplaced or lost bytes show.
func pattern(count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 % 251) }
}
