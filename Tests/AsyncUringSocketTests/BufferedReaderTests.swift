import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import SystemPackage
import Testing

/// A 2-byte big-endian length, then that many bytes; counts the times it needed more.
struct LengthPrefixedDecoder: FrameDecoder {
    var needMoreCount = 0

    mutating func decode(_ buffer: inout BufferedBytes) throws -> [UInt8]? {
        guard buffer.count >= 2, buffer.count >= 2 + (Int(buffer[0]) << 8 | Int(buffer[1])) else {
            needMoreCount += 1
            return nil
        }
        let length = Int(buffer[0]) << 8 | Int(buffer[1])
        buffer.consume(2)
        return buffer.read(length)
    }

    static func frame(_ payload: [UInt8]) -> [UInt8] {
        [UInt8(payload.count >> 8), UInt8(payload.count & 0xff)] + payload
    }
}

/// The decoder of the ReadingFrames article, as written there.
struct LengthPrefixed: FrameDecoder {
    func decode(_ buffer: inout BufferedBytes) throws -> [UInt8]? {
        guard buffer.count >= 4 else { return nil }
        let length = buffer.peek(4).reduce(0) { $0 << 8 | Int($1) }
        guard buffer.count >= 4 + length else { return nil }
        buffer.consume(4)
        return buffer.read(length)
    }
}

/// Sends `bytes` one segment at a time with a pause between, so each arrives on its own.
func sendInPieces(_ pieces: [[UInt8]], from peer: TCPConnection) async throws {
    try peer.setOption(.noDelay(true))
    for piece in pieces {
        try await peer.send(piece)
        try await peer.flush()
        try await Task.sleep(for: .milliseconds(5))
    }
}

extension SocketTests {
    @Suite struct BufferedReaderTests {
        @Test func bytesArrivingOneByOneAreReadAsOneExactCount() async throws {
            try await withConnectedPair { client, peer in
                var reader = client.reader()
                let message = Array("hello, world".utf8)
                async let sent: Void = sendInPieces(message.map { [$0] }, from: peer)
                #expect(try await reader.read(exactly: message.count) == message)
                try await sent
            }
        }

        @Test(arguments: ["\n", "\r\n"])
        func linesSplitAcrossPacketsComeWhole(delimiter: String) async throws {
            try await withConnectedPair { client, peer in
                var reader = client.reader()
                let text =
                    "first li|ne\(delimiter)sec|ond\(delimiter.prefix(1))|\(delimiter.dropFirst())third\(delimiter)"
                let pieces = text.split(separator: "|", omittingEmptySubsequences: false).map { Array($0.utf8) }
                try await sendInPieces(pieces.filter { !$0.isEmpty }, from: peer)
                try await peer.shutdown(.write)
                let delimiterBytes = Array(delimiter.utf8)
                var lines: [String] = []
                while let line = try await reader.read(until: delimiterBytes, maxLength: 64) {
                    lines.append(String(decoding: line, as: UTF8.self))
                }
                #expect(lines == ["first line", "second", "third"])
                #expect(reader.isAtEnd)
            }
        }

        @Test func crlfLinesByteByByte() async throws {
            try await withConnectedPair { client, peer in
                var reader = client.reader()
                async let sent: Void = sendInPieces(Array("PING\r\nECHO hi\r\n".utf8).map { [$0] }, from: peer)
                let crlf = Array("\r\n".utf8)
                #expect(try await reader.read(until: crlf, maxLength: 16) == Array("PING".utf8))
                #expect(try await reader.read(until: crlf, maxLength: 16) == Array("ECHO hi".utf8))
                try await sent
            }
        }

        @Test func aLineOfMaxLengthIsReadAndALongerOneIsTooLong() async throws {
            try await withConnectedPair { client, peer in
                var reader = client.reader()
                try await peer.send("abcd\nabcde\n")
                #expect(try await reader.read(until: UInt8(ascii: "\n"), maxLength: 4) == Array("abcd".utf8))
                let error = await #expect(throws: SocketError.self) {
                    try await reader.read(until: UInt8(ascii: "\n"), maxLength: 4)
                }
                #expect(error?.errno == .messageTooLong)
                // The bytes stay: a caller that allows more reads them.
                #expect(try await reader.read(until: UInt8(ascii: "\n"), maxLength: 5) == Array("abcde".utf8))
            }
        }

        @Test func endOfStreamWithinAnExactReadThrowsAndKeepsTheBytes() async throws {
            try await withConnectedPair { client, peer in
                var reader = client.reader()
                try await peer.send("four")
                try await peer.shutdown(.write)
                let error = await #expect(throws: SocketError.self) { try await reader.read(exactly: 10) }
                #expect(error?.errno == .connectionReset)
                #expect(error?.detail == "end of stream after 4 of 10 bytes")
                #expect(reader.readBuffered() == Array("four".utf8))
                #expect(try await reader.fill() == false)
            }
        }

        @Test func endOfStreamWithinALineThrowsAndACleanEndIsNil() async throws {
            try await withConnectedPair { client, peer in
                var reader = client.reader()
                try await peer.send("done\nhalf")
                try await peer.shutdown(.write)
                #expect(try await reader.read(until: UInt8(ascii: "\n"), maxLength: 64) == Array("done".utf8))
                let error = await #expect(throws: SocketError.self) {
                    try await reader.read(until: UInt8(ascii: "\n"), maxLength: 64)
                }
                #expect(error?.errno == .connectionReset)
                _ = reader.readBuffered()
                #expect(try await reader.read(until: UInt8(ascii: "\n"), maxLength: 64) == nil)
            }
        }

        @Test func aDecoderThatNeedsMoreBytesGetsThemAndConsumesItsFrame() async throws {
            try await withConnectedPair { client, peer in
                var reader = client.reader()
                var decoder = LengthPrefixedDecoder()
                let bytes = LengthPrefixedDecoder.frame(Array("one".utf8)) + LengthPrefixedDecoder.frame([])
                async let sent: Void = sendInPieces([[bytes[0]], Array(bytes[1..<3]), Array(bytes[3...])], from: peer)
                #expect(try await reader.read(using: &decoder) == Array("one".utf8))
                #expect(decoder.needMoreCount >= 2)
                #expect(try await reader.read(using: &decoder) == [])
                #expect(reader.buffer.isEmpty)
                try await sent
            }
        }

        @Test func framesSequenceEndsAtEndOfStream() async throws {
            try await withConnectedPair { client, peer in
                let payloads = [Array("a".utf8), pattern(count: 1000), Array("last".utf8)]
                try await sendInPieces([payloads.flatMap(LengthPrefixedDecoder.frame)], from: peer)
                try await peer.shutdown(.write)
                var frames: [[UInt8]] = []
                for try await frame in client.reader().frames(LengthPrefixedDecoder()) { frames.append(frame) }
                #expect(frames == payloads)
            }
        }

        @Test func endOfStreamWithinAFrameThrows() async throws {
            try await withConnectedPair { client, peer in
                var reader = client.reader()
                var decoder = LengthPrefixedDecoder()
                try await peer.send([0, 5, 1, 2])
                try await peer.shutdown(.write)
                let error = await #expect(throws: SocketError.self) { try await reader.read(using: &decoder) }
                #expect(error?.errno == .connectionReset)
            }
        }

        @Test func aTimedOutReadLosesNothing() async throws {
            try await withConnectedPair { client, peer in
                var reader = client.reader()
                try await peer.send([0, 1, 2, 3, 4])
                let error = await #expect(throws: SocketError.self) {
                    try await reader.read(exactly: 10, timeout: .milliseconds(200))
                }
                #expect(error?.isTimeout == true)
                #expect(reader.buffer.count == 5)
                try await peer.send([5, 6, 7, 8, 9])
                #expect(try await reader.read(exactly: 10, timeout: .seconds(10)) == Array(0..<10))
            }
        }

        @Test func aCancelledReadLosesNothing() async throws {
            try await withConnectedPair { client, peer in
                let initial = client.reader()
                try await peer.send([0, 1, 2, 3, 4])
                let task = Task {
                    var reader = initial
                    await #expect(throws: CancellationError.self) { try await reader.read(exactly: 10) }
                    return reader
                }
                // The read takes the 5 bytes, then waits for more.
                try await Task.sleep(for: .milliseconds(200))
                task.cancel()
                var reader = await task.value
                #expect(reader.buffer.count == 5)
                try await peer.send([5, 6, 7, 8, 9])
                #expect(try await reader.read(exactly: 10, timeout: .seconds(10)) == Array(0..<10))
            }
        }

        @Test func framesLargerThanAProvidedBufferComeWhole() async throws {
            try await withConnectedPair { client, peer in
                var reader = client.reader()
                let large = pattern(count: 60_000)
                let exact = pattern(count: 300_000, seed: 7)
                async let sent: Void = peer.send(LengthPrefixedDecoder.frame(large) + exact)
                var decoder = LengthPrefixedDecoder()
                #expect(try await reader.read(using: &decoder) == large)
                #expect(try await reader.read(exactly: exact.count) == exact)
                try await sent
            }
        }

        @Test func aFullBufferFailsTheReadThatNeedsMore() async throws {
            try await withConnectedPair { client, peer in
                var reader = client.reader(maxBufferSize: 8)
                try await peer.send([UInt8](repeating: UInt8(ascii: "x"), count: 32))
                let error = await #expect(throws: SocketError.self) {
                    try await reader.read(until: UInt8(ascii: "\n"), maxLength: 100)
                }
                #expect(error?.errno == .messageTooLong)
                #expect(reader.buffer.count == 32)
                await #expect(throws: SocketError.self) { try await reader.read(exactly: 9) }
            }
        }

        @Test func peekLeavesTheBytesUnread() async throws {
            try await withConnectedPair { client, peer in
                var reader = client.reader()
                try await peer.send("GET /")
                #expect(try await reader.peek(3) == Array("GET".utf8))
                #expect(try await reader.read(exactly: 5) == Array("GET /".utf8))
            }
        }

        @Test func readChunkLendsReceivedBytesWhenNothingIsBuffered() async throws {
            try await withConnectedPair { client, peer in
                var reader = client.reader()
                try await peer.send("header|")
                _ = try await reader.read(until: UInt8(ascii: "|"), maxLength: 16)
                try await peer.send("body")
                switch try await reader.readChunk(timeout: .seconds(10)) {
                case .received(let bytes): #expect([UInt8](bytes) == Array("body".utf8))
                case .buffered: Issue.record("bytes were copied although nothing was buffered")
                case nil: Issue.record("end of stream")
                }
                // Buffered bytes come first, as they were.
                try await peer.send("rest")
                #expect(try await reader.peek(1) == Array("r".utf8))
                switch try await reader.readChunk() {
                case .buffered(let bytes): #expect(bytes == Array("rest".utf8))
                case .received: Issue.record("buffered bytes were skipped")
                case nil: Issue.record("end of stream")
                }
                try await peer.shutdown(.write)
                let isAtEnd = try await reader.readChunk() == nil
                #expect(isAtEnd)
            }
        }
    }

    /// The examples of the ReadingFrames article, as written there.
    @Suite struct ReadingFramesArticleTests {
        @Test func pipelinedRequestsAreAnsweredInOneSend() async throws {
            try await withConnectedPair { connection, peer in
                let requests: [[UInt8]] = [Array("one".utf8), [], Array("three".utf8)]
                try await peer.send(requests.flatMap { [0, 0, 0, UInt8($0.count)] + $0 })
                try await peer.shutdown(.write)

                var reader = connection.reader()
                var decoder = LengthPrefixed()
                var replies: [UInt8] = []
                repeat {
                    while let request = try reader.decodeBuffered(using: &decoder) {
                        replies += request  // an echo of each payload
                    }
                    if !replies.isEmpty {
                        try await connection.send(replies)
                        replies = []
                    }
                } while try await reader.fill()

                #expect(try await receiveExactly(8, from: peer) == Array("onethree".utf8))
            }
        }

        @Test func framesAreEchoed() async throws {
            try await withConnectedPair { connection, peer in
                try await peer.send([0, 0, 0, 2, 104, 105])
                try await peer.shutdown(.write)
                for try await frame in connection.reader().frames(LengthPrefixed()) {
                    try await connection.send(frame)
                }
                #expect(try await receiveExactly(2, from: peer) == Array("hi".utf8))
            }
        }
    }

    /// The buffer alone, without a kernel.
    @Suite struct BufferedBytesTests {
        @Test(
            arguments: [
                ("abc\r\ndef", "\r\n", 0, 3), ("abc\r\ndef", "\r\n", 4, nil), ("\r\r\n", "\r\n", 0, 1),
                ("abc", "abcd", 0, nil), ("xxab", "ab", 2, 2),
            ] as [(String, String, Int, Int?)]
        )
        func firstOffsetFindsTheDelimiter(text: String, delimiter: String, from: Int, expected: Int?) {
            #expect(BufferedBytes(Array(text.utf8)).firstOffset(of: Array(delimiter.utf8), from: from) == expected)
        }

        @Test func offsetsCountFromTheFirstUnreadByteAndTheConsumedPrefixIsDropped() {
            var buffer = BufferedBytes(pattern(count: 100))
            buffer.consume(60)
            #expect(buffer.count == 40)
            #expect(buffer[0] == pattern(count: 100)[60])
            #expect(buffer.storageCount == 100)
            buffer.append(contentsOf: [1, 2, 3])
            #expect(buffer.storageCount == 43, "a consumed prefix longer than the rest is dropped")
            #expect(buffer.read(43) == Array(pattern(count: 100)[60...]) + [1, 2, 3])
            #expect(buffer.isEmpty)
            #expect(buffer.storageCount == 0)
        }
    }
}
