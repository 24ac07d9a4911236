import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import Glibc
import SystemPackage
import Testing

/// Sends from several tasks queue in order, each whole; a full queue makes writers wait
/// (never fail); vectored sends, flushes, timeouts and closes keep every byte accounted for.
@Suite(.timeLimit(.minutes(2))) struct SendQueueTests {
    /// A message of `writer`'s `index`-th send: its header names both, its body is a pattern
    /// of them, so a reader can tell whole messages apart from interleaved ones.
    static func message(writer: Int, index: Int, size: Int) -> [UInt8] {
        var bytes = [UInt8(writer), UInt8(index & 0xff), UInt8(index >> 8)]
        bytes += pattern(count: size - 3, seed: writer * 65536 + index)
        return bytes
    }

    @Test func writersFromEightTasksInterleaveWholeMessagesInOrder() async throws {
        try await withConnectedPair { client, peer in
            let (writers, messages, size) = (8, 200, 1024)
            // The peer reads slowly at first, so writers find the queue full and wait.
            try await withThrowingTaskGroup { group in
                for writer in 0..<writers {
                    group.addTask {
                        for index in 0..<messages {
                            try await client.send(Self.message(writer: writer, index: index, size: size))
                        }
                    }
                }
                var next = [Int](repeating: 0, count: writers)
                for count in 0..<(writers * messages) {
                    if count < 16 { try await Task.sleep(for: .milliseconds(5)) }
                    let bytes = try await receiveExactly(size, from: peer, timeout: .seconds(30))
                    let writer = Int(bytes[0])
                    let index = Int(bytes[1]) | Int(bytes[2]) << 8
                    #expect(writer < writers && index == next[writer], "message \(count)")
                    #expect(bytes == Self.message(writer: writer, index: index, size: size), "message \(count)")
                    next[writer] += 1
                }
                try await group.waitForAll()
                #expect(next == [Int](repeating: messages, count: writers))
            }
        }
    }

    /// The report: two tasks sending 1 KiB messages to a slow reader got `EALREADY` for 37
    /// of 100 sends, and lost their bytes. Now a full queue makes them wait.
    @Test func sendsToASlowReaderWaitInsteadOfFailing() async throws {
        try await withConnectedPair { client, peer in
            let total = 2 * 100 * 1024
            let sends = (0..<2).map { writer in
                Task {
                    for index in 0..<100 {
                        try await client.send(Self.message(writer: writer, index: index, size: 1024))
                    }
                }
            }
            var received = 0
            while received < total {
                try await Task.sleep(for: .milliseconds(1))
                received += try #require(try await peer.receive(maxBytes: 4096, timeout: .seconds(10))).count
            }
            for send in sends { try await send.value }
            #expect(received == total)
        }
    }

    @Test func aFullQueueMakesTheNextSendWait() async throws {
        try await withConnectedPair { client, peer in
            // The peer does not read: once the socket buffers and the queue are full, a send
            // waits; reading lets it through, and every byte arrives in order.
            var sent: [UInt8] = []
            var waiting: Task<Void, any Error>?
            for index in 0..<4096 {
                let chunk = pattern(count: 16384, seed: index)
                let send = Task { try await client.send(chunk) }
                sent += chunk
                if await !finishes(send, within: .milliseconds(200)) {
                    waiting = send
                    break
                }
                try await send.value
            }
            let blocked = try #require(waiting, "the queue never filled")
            #expect(sent.count > client.sendQueueLimit)
            let received = try await receiveExactly(sent.count, from: peer, timeout: .seconds(30))
            try await blocked.value
            #expect(received == sent)
        }
    }

    @Test func aSendCancelledWhileWaitingForRoomQueuesNothing() async throws {
        try await withConnectedPair { client, peer in
            var sent: [UInt8] = []
            for index in 0..<4096 {
                let chunk = pattern(count: 16384, seed: index)
                let send = Task { try await client.send(chunk) }
                if await !finishes(send, within: .milliseconds(200)) {
                    send.cancel()
                    await #expect(throws: CancellationError.self) { try await send.value }
                    break
                }
                try await send.value
                sent += chunk
            }
            // The cancelled send's bytes are not in the stream; the next send's are.
            let last = pattern(count: 100, seed: 99_999)
            let after = Task { try await client.send(last) }
            let received = try await receiveExactly(sent.count + last.count, from: peer, timeout: .seconds(30))
            try await after.value
            #expect(received == sent + last)
        }
    }

    @Test func aTimeoutWhileWaitingForRoomLeavesTheQueueAsItWas() async throws {
        try await withConnectedPair { client, peer in
            try await fillUntilTheSendQueueIsFull(client)
            let error = await #expect(throws: SocketError.self) {
                try await client.send(pattern(count: 100), timeout: .milliseconds(50))
            }
            #expect(error?.errno == .timedOut)
            // The queue still works: a flush after the peer reads everything succeeds.
            let reader = Task {
                while let bytes = try await peer.receive(maxBytes: 65536, timeout: .seconds(10)) {
                    if bytes.last == 0xEE { break }
                }
            }
            try await client.send([0xEE])
            try await client.flush(timeout: .seconds(30))
            try await reader.value
        }
    }

    @Test func aTimeoutAfterTheBytesWereQueuedFailsTheQueue() async throws {
        try await withConnectedPair { client, peer in
            let big = pattern(count: 8 << 20)
            let error = await #expect(throws: SocketError.self) {
                try await client.send(big, timeout: .milliseconds(50))
            }
            #expect(error?.errno == .timedOut)
            // Part of the bytes went out: the stream is cut, and every later send says so.
            let later = await #expect(throws: SocketError.self) { try await client.send([1]) }
            #expect(later?.errno == .timedOut)
            await #expect(throws: SocketError.self) { try await client.flush() }
            // The receive side is not ended by our own timeout.
            try await peer.send("still")
            #expect(try await receiveExactly(5, from: client, timeout: .seconds(5)) == Array("still".utf8))
        }
    }

    @Test func flushWaitsUntilTheKernelTookTheBytes() async throws {
        try await withLeakCheck {
            let listener = try TCPListener.bind(port: 0)
            // A peer that reads only when told: the socket buffers hold less than 4 MiB.
            let peer = try RawPeer(connectingTo: listener.localAddress)
            let sender = try await listener.accept()
            let bytes = pattern(count: 4 << 20)
            let flushed = Flag()
            let sending = Task {
                try await sender.send(bytes)
                try await sender.flush()
                flushed.set()
            }
            try await Task.sleep(for: .milliseconds(100))
            #expect(!flushed.isSet)
            let received = try peer.receiveExactly(bytes.count)
            #expect(received == bytes)
            try await sending.value
            #expect(flushed.isSet)
            try await sender.close()
            peer.close()
            await listener.close()
        }
    }

    @Test func aVectoredSendKeepsItsBuffersTogetherAndInOrder() async throws {
        try await withConnectedPair { client, peer in
            let buffers = (0..<100).map { pattern(count: 1 + $0 * 37, seed: $0) }
            let other = Task { for _ in 0..<50 { try await client.send([0xAB]) } }
            try await client.send(contentsOf: buffers)
            try await other.value
            let expected = buffers.flatMap { $0 }
            let received = try await receiveExactly(expected.count + 50, from: peer, timeout: .seconds(10))
            // The 0xAB bytes come before or after the buffers, never between them.
            let start = try #require(received.firstIndex(of: expected[0]))
            #expect(Array(received[start..<start + expected.count]) == expected)
            #expect(received.count(where: { $0 == 0xAB }) >= 50)
        }
    }

    @Test func repliesQueuedInOneTurnGoInOneRequest() async throws {
        let group = try RingGroup(numberOfRings: 1)
        try await withLeakCheck {
            let listener = try TCPListener.bind(port: 0)
            let (client, peer) = try await connectAndAccept(listener, ring: group.next())
            let before = await client.ring.statistics()
            try await Task(executorPreference: client.ring) {
                for index in 0..<16 { try await client.send("+reply \(index)\r\n") }
            }.value
            try await client.flush()
            let after = await client.ring.statistics()
            #expect(after.submissions - before.submissions == 1, "\(before) \(after)")
            let expected = (0..<16).map { "+reply \($0)\r\n" }.joined()
            let received = try await receiveExactly(expected.utf8.count, from: peer, timeout: .seconds(5))
            #expect(received == Array(expected.utf8))
            try await client.close()
            try await peer.close()
            await listener.close()
        }
        await group.shutdown()
    }

    @Test func closeRefusesWaitingWritersAndFlushesWhatWasQueued() async throws {
        try await withConnectedPair { client, peer in
            var sent: [UInt8] = []
            var waiting: Task<Void, any Error>?
            for index in 0..<4096 {
                let chunk = pattern(count: 16384, seed: index)
                let send = Task { try await client.send(chunk) }
                if await !finishes(send, within: .milliseconds(200)) {
                    waiting = send
                    break
                }
                try await send.value
                sent += chunk
            }
            let blocked = try #require(waiting)
            let closing = Task { try await client.close() }
            let error = await #expect(throws: SocketError.self) { try await blocked.value }
            #expect(error?.errno == .badFileDescriptor)
            // What was queued before the close arrives whole, then the end of stream.
            #expect(try await receiveExactly(sent.count, from: peer, timeout: .seconds(30)) == sent)
            #expect(try await peer.receive(timeout: .seconds(10)) == nil)
            try await closing.value
        }
    }

    @Test func shutdownForWritingGoesAfterTheBytesOfEveryWriter() async throws {
        try await withConnectedPair { client, peer in
            try await fillUntilTheSendQueueIsFull(client)
            // A writer waits for room; the shutdown's FIN goes after its bytes too.
            let last = pattern(count: 1000, seed: 7)
            let writer = Task { try await client.send(last) }
            try await Task.sleep(for: .milliseconds(50))
            let shutdown = Task { try await client.shutdown(.write) }
            try await Task.sleep(for: .milliseconds(50))
            let refused = await #expect(throws: SocketError.self) { try await client.send([1]) }
            #expect(refused?.errno == .brokenPipe)
            var received: [UInt8] = []
            while let bytes = try await peer.receive(maxBytes: 65536, timeout: .seconds(30)) { received += bytes }
            try await writer.value
            try await shutdown.value
            #expect(received.suffix(last.count).elementsEqual(last))
        }
    }
}
