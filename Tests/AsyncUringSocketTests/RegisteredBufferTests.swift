import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import Foundation
import Glibc
import SystemPackage
import Testing

/// Buffers registered with a ring (`READ_FIXED`/`WRITE_FIXED` on io_uring, `pread`/`pwrite`
/// into the same memory on the epoll driver), on real files.
@Suite(.timeLimit(.minutes(1))) struct RegisteredBufferTests {
    @Test func aWriteFromOneBufferReadsBackIntoAnother() async throws {
        try await withTemporaryFile { path in
            let file = try await RingFile.open(path, mode: .readWrite, options: [.create])
            let buffers = try await file.ring.registerFileBuffers(count: 4, size: 4096)
            let bytes = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            buffers[1].copyBytes(from: bytes)
            try await file.write(from: buffers, index: 1, at: 10_000)
            #expect(try await file.read(into: buffers, index: 2, at: 10_000) == 4096)
            #expect(buffers[2].bytes(in: 0..<4096) == bytes)
            // A shorter read, and one at the end of the file.
            #expect(try await file.read(into: buffers, index: 3, count: 10, at: 10_100) == 10)
            #expect(buffers[3].bytes(in: 0..<10) == Array(bytes[100..<110]))
            #expect(try await file.read(into: buffers, index: 0, at: 14_000) == 96)
            #expect(try await file.read(into: buffers, index: 0, at: 20_000) == 0)
            #expect(buffers.isRegistered)
            await buffers.unregister()
            #expect(!buffers.isRegistered)
            try await file.close()
        }
    }

    /// A file truncated while open reads short, then nothing, into registered buffers too.
    @Test func aTruncatedFileReadsShortIntoARegisteredBuffer() async throws {
        try await withTemporaryFile(contents: [UInt8](repeating: 3, count: 8192)) { path in
            let file = try await RingFile.open(path)
            let buffers = try await file.ring.registerFileBuffers(count: 1, size: 4096)
            #expect(truncate(path, 5000) == 0)
            let short = try await file.read(into: buffers, index: 0, at: 4096)
            let none = try await file.read(into: buffers, index: 0, at: 5000)
            #expect(short == 904 && none == 0)
            await buffers.unregister()
            try await file.close()
        }
    }

    @Test func aRingHoldsOneSetAtATime() async throws {
        try await withLeakCheck {
            let ring = try RingGroup.shared.next()
            let first = try await ring.registerFileBuffers(count: 2, size: 4096)
            let error = await #expect(throws: RingError.self) {
                try await ring.registerFileBuffers(count: 2, size: 4096)
            }
            #expect(error?.errno == .resourceBusy)
            #expect(error?.description.contains("registered buffer set already") == true)
            await first.unregister()
            let second = try await ring.registerFileBuffers(count: 1, size: 8192)
            await second.unregister()
        }
    }

    @Test(arguments: [(0, 4096), (16385, 4096), (1, 0), (1, (1 << 30) + 1)])
    func countsAndSizesOutOfRangeThrowEINVAL(count: Int, size: Int) async throws {
        let ring = try RingGroup.shared.next()
        let error = await #expect(throws: RingError.self) {
            try await ring.registerFileBuffers(count: count, size: size)
        }
        #expect(error?.errno == .invalidArgument)
    }

    @Test func aSetDroppedWithoutUnregisteringIsUnregisteredByItsRing() async throws {
        let ring = try RingGroup.shared.next()
        for _ in 0..<5 {
            _ = try await ring.registerFileBuffers(count: 8, size: 65536)
            // The ring unregisters the dropped set in its next iteration.
            var registered: RegisteredBuffers?
            for _ in 0..<100 where registered == nil {
                registered = try? await ring.registerFileBuffers(count: 1, size: 4096)
                if registered == nil { try await Task.sleep(for: .milliseconds(5)) }
            }
            try await #require(registered).unregister()
        }
    }

    @Test func misuseThrowsFileErrorsNamingTheProblem() async throws {
        try await withTemporaryFile(contents: [UInt8](repeating: 5, count: 100)) { path in
            let file = try await RingFile.open(path)
            let buffers = try await file.ring.registerFileBuffers(count: 2, size: 64)
            let index = await #expect(throws: FileError.self) { try await file.read(into: buffers, index: 2, at: 0) }
            #expect(index?.errno == .invalidArgument && index?.detail == "no registered buffer 2 of 2")
            let count = await #expect(throws: FileError.self) {
                try await file.read(into: buffers, index: 0, count: 65, at: 0)
            }
            #expect(count?.errno == .invalidArgument)
            await buffers.unregister()
            let gone = await #expect(throws: FileError.self) { try await file.read(into: buffers, index: 0, at: 0) }
            #expect(gone?.errno == .badFileDescriptor && gone?.detail == "buffers unregistered")
            let other = try RingGroup(numberOfRings: 1)
            let foreign = try await other.rings[0].registerFileBuffers(count: 1, size: 64)
            let wrongRing = await #expect(throws: FileError.self) {
                try await file.read(into: foreign, index: 0, at: 0)
            }
            #expect(wrongRing?.detail == "buffers registered with another ring")
            await foreign.unregister()
            await other.shutdown()
            try await file.close()
        }
    }

    @Test(.enabled(if: DiskDirectory.supportsDirectIO, "the file system of /var/tmp refuses O_DIRECT"))
    func registeredBuffersServeDirectIO() async throws {
        let bytes = (0..<(4 * 4096)).map { UInt8(truncatingIfNeeded: $0 / 4096 + 1) }
        try await DiskDirectory.withFile(contents: bytes) { path in
            let file = try await RingFile.open(path, options: [.direct])
            let buffers = try await file.ring.registerFileBuffers(count: 2, size: 8192)
            #expect(try await file.read(into: buffers, index: 1, at: 8192) == 8192)
            #expect(buffers[1].bytes(in: 0..<8192) == Array(bytes[8192...]))
            await #expect(throws: FileError.self) { try await file.read(into: buffers, index: 0, count: 100, at: 0) }
            await buffers.unregister()
            try await file.close()
        }
    }

    /// A FIFO's read waits, so cancellation finds it in flight: it throws, the buffer is the
    /// caller's again, and the bytes written afterwards are all there for the next read.
    @Test func cancellingAWaitingRegisteredReadThrowsAndLosesNothing() async throws {
        try await withWaitingFIFO { fifo in
            let buffers = try await fifo.ring.registerFileBuffers(count: 2, size: 64)
            let pending = Task { try await fifo.read(into: buffers, index: 0, at: 0) }
            try await Task.sleep(for: .milliseconds(50))
            pending.cancel()
            await #expect(throws: CancellationError.self) { try await pending.value }
            buffers[1].copyBytes(from: Array("kept".utf8))
            try await fifo.write(from: buffers, index: 1, count: 4, at: 0)
            #expect(try await fifo.read(into: buffers, index: 0, at: 0) == 4)
            #expect(buffers[0].bytes(in: 0..<4) == Array("kept".utf8))
            await buffers.unregister()
            try await fifo.close()
        }
    }
}
