import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import Foundation
import Glibc
import SystemPackage
import Testing

/// `TCPConnection.send(_:range:)`: a file region spliced to a real loopback connection.
@Suite(.timeLimit(.minutes(1))) struct FileCopyTests {
    static func pattern(_ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 / 251) }
    }

    @Test(
        arguments: [(0, 1), (0, 100_000), (12_345, (3 << 20) - 12_345 - 100), (4096, (3 << 20) - 4096)]
    )
    func aRegionArrivesByteExactAfterWhatWasSentBefore(start: Int, count: Int) async throws {
        let bytes = Self.pattern(3 << 20)
        try await withTemporaryFile(contents: bytes) { path in
            let file = try await RingFile.open(path)
            try await withConnectedPair { client, peer in
                let receiving = Task { try await receiveExactly(4 + count + 4, from: peer) }
                try await client.send(Array("head".utf8))
                let sent = try await client.send(file, range: Int64(start)..<Int64(start + count))
                try await client.send(Array("tail".utf8))
                #expect(sent == Int64(count))
                let received = try await receiving.value
                #expect(received.count == 4 + count + 4)
                #expect(Array(received[..<4]) == Array("head".utf8))
                #expect(Array(received[4..<(4 + count)]) == Array(bytes[start..<(start + count)]))
                #expect(Array(received[(4 + count)...]) == Array("tail".utf8))
            }
            try await file.close()
        }
    }

    /// A range past the end of the file sends what there is and says how much.
    @Test
    func aRangePastTheEndSendsWhatThereIs() async throws {
        let bytes = Self.pattern(1000)
        try await withTemporaryFile(contents: bytes) { path in
            let file = try await RingFile.open(path)
            try await withConnectedPair { client, peer in
                let partly = try await client.send(file, range: 500..<5000)
                let past = try await client.send(file, range: 2000..<3000)
                let empty = try await client.send(file, range: 10..<10)
                #expect(partly == 500 && past == 0 && empty == 0)
                let received = try await receiveExactly(500, from: peer)
                #expect(received == Array(bytes[500...]))
                let negative = await #expect(throws: FileError.self) { try await client.send(file, range: -1..<10) }
                #expect(negative?.errno == .invalidArgument)
            }
            try await file.close()
        }
    }

    /// A file truncated after it was opened: the copy sends what is left and says how much.
    @Test
    func aFileTruncatedAfterOpeningSendsWhatIsLeft() async throws {
        let bytes = Self.pattern(200_000)
        try await withTemporaryFile(contents: bytes) { path in
            let file = try await RingFile.open(path)
            #expect(truncate(path, 70_000) == 0)
            try await withConnectedPair { client, peer in
                let sent = try await client.send(file, range: 0..<200_000)
                #expect(sent == 70_000)
                let received = try await receiveExactly(70_000, from: peer)
                #expect(received == Array(bytes[..<70_000]))
            }
            try await file.close()
        }
    }

    /// The peer stops reading, then closes with unread bytes (a reset): the splice waiting
    /// for room in the socket ends with a typed error, SIGPIPE at its default action ends
    /// nothing, and no descriptor (pipe, duplicate) is left open.
    @Test
    func aPeerThatClosesMidCopyEndsItWithEPIPEOrECONNRESET() async throws {
        try await withTemporaryFile(contents: [UInt8](repeating: 7, count: 32 << 20)) { path in
            let file = try await RingFile.open(path)
            try await withDefaultSIGPIPE {
                try await withConnectedPair { client, peer in
                    let copying = Task { try await client.send(file, range: 0..<(32 << 20)) }
                    _ = try await receiveExactly(100_000, from: peer)
                    try await Task.sleep(for: .milliseconds(100))
                    try await peer.close()
                    let error = await #expect(throws: SocketError.self) { try await copying.value }
                    #expect(error?.operation == .send)
                    #expect(error?.errno == .brokenPipe || error?.errno == .connectionReset)
                }
            }
            try await file.close()
        }
    }

    /// Cancelling the task interrupts the splice that waits for room in the socket.
    @Test
    func cancellingMidCopyThrowsCancellationError() async throws {
        try await withTemporaryFile(contents: [UInt8](repeating: 7, count: 32 << 20)) { path in
            let file = try await RingFile.open(path)
            try await withConnectedPair { client, _ in
                let copying = Task { try await client.send(file, range: 0..<(32 << 20)) }
                try await Task.sleep(for: .milliseconds(200))
                copying.cancel()
                await #expect(throws: CancellationError.self) { try await copying.value }
            }
            try await file.close()
        }
    }

    /// Closing the connection during a copy ends the copy with `EBADF`.
    @Test
    func closingTheConnectionMidCopyEndsItWithEBADF() async throws {
        try await withTemporaryFile(contents: [UInt8](repeating: 7, count: 32 << 20)) { path in
            let file = try await RingFile.open(path)
            try await withConnectedPair { client, _ in
                try client.setOption(.resetOnClose)
                let copying = Task { try await client.send(file, range: 0..<(32 << 20)) }
                try await Task.sleep(for: .milliseconds(200))
                try await client.close()
                let error = await #expect(throws: SocketError.self) { try await copying.value }
                #expect(error?.errno == .badFileDescriptor)
            }
            try await file.close()
        }
    }

    @Test
    func aClosedFileThrowsEBADF() async throws {
        try await withTemporaryFile(contents: [1, 2, 3]) { path in
            let file = try await RingFile.open(path)
            try await file.close()
            try await withConnectedPair { client, _ in
                let error = await #expect(throws: FileError.self) { try await client.send(file, range: 0..<3) }
                #expect(error?.errno == .badFileDescriptor && error?.operation == .copy)
            }
        }
    }
}
