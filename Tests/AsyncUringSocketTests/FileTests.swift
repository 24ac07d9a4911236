import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import Foundation
import Glibc
import SystemPackage
import Testing

/// Real files in a temporary directory, removed afterwards, on the process's driver
/// (`ASYNC_URING_DRIVER`): io_uring or the epoll fallback.
@Suite(.timeLimit(.minutes(1))) struct FileTests {
    @Test(arguments: [Int64(0), 1, 4095, 4096, 1 << 20])
    func bytesWrittenAtAnOffsetReadBackThere(offset: Int64) async throws {
        try await withTemporaryFile { path in
            let file = try await RingFile.open(path, mode: .readWrite, options: [.create, .truncate])
            let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            try await file.write(bytes, at: offset)
            var buffer = [UInt8](repeating: 0, count: bytes.count)
            #expect(try await file.read(into: &buffer, at: offset) == bytes.count)
            #expect(buffer == bytes)
            #expect(try await file.status().size == offset + Int64(bytes.count))
            try await file.close()
        }
    }

    @Test func vectoredWritesAndReadsKeepTheOrderOfTheirArrays() async throws {
        try await withTemporaryFile { path in
            let file = try await RingFile.open(path, mode: .readWrite, options: [.create])
            let parts: [[UInt8]] = [Array("one,".utf8), [], Array("two,".utf8), [UInt8](repeating: 51, count: 5000)]
            try await file.write(gathering: parts, at: 100)
            var buffers = [[UInt8](repeating: 0, count: 3), [UInt8](repeating: 0, count: 6000)]
            let count = try await file.read(scatteringInto: &buffers, at: 100)
            #expect(count == 5008)
            #expect(buffers[0] == Array("one".utf8))
            #expect(Array(buffers[1][..<5]) == Array(",two,".utf8))
            #expect(buffers[1][5..<5005].allSatisfy { $0 == 51 })
            try await file.close()
        }
    }

    @Test func aReadAtTheEndOfTheFileIsShortThenEmpty() async throws {
        try await withTemporaryFile(contents: Array("0123456789".utf8)) { path in
            let file = try await RingFile.open(path)
            var buffer = [UInt8](repeating: 0, count: 8)
            #expect(try await file.read(into: &buffer, at: 6) == 4)
            #expect(Array(buffer[..<4]) == Array("6789".utf8))
            #expect(try await file.read(into: &buffer, at: 10) == 0)
            #expect(try await file.read(into: &buffer, at: 1 << 30) == 0)
            var empty: [UInt8] = []
            #expect(try await file.read(into: &empty, at: 0) == 0)
            try await file.close()
        }
    }

    @Test func statusReportsSizeTypePermissionsAndTimes() async throws {
        try await withTemporaryFile { path in
            let before = Duration.seconds(Int64(Date().timeIntervalSince1970) - 5)
            let file = try await RingFile.open(path, mode: .writeOnly, options: [.create], permissions: 0o640)
            try await file.write([UInt8](repeating: 1, count: 12345), at: 0)
            let status = try await file.status()
            #expect(status.size == 12345)
            #expect(status.isRegularFile && !status.isDirectory)
            #expect(status.permissions == 0o640 & ~0o022 || status.permissions == 0o640)
            #expect(status.modificationTime >= before)
            let byPath = try await RingFile.status(ofPath: path)
            #expect(byPath.size == 12345 && byPath.inode == status.inode)
            #expect(try await RingFile.status(ofPath: NSTemporaryDirectory()).isDirectory)
            try await file.close()
        }
    }

    @Test func synchronizingDataAndMetadataSucceeds() async throws {
        try await withTemporaryFile { path in
            let file = try await RingFile.open(path, mode: .readWrite, options: [.create])
            try await file.write(Array("durable".utf8), at: 0)
            try await file.synchronizeData()
            try await file.synchronize()
            try await file.close()
            let readOnly = try await RingFile.open(path)
            // fsync of a file opened read-only is allowed on Linux.
            try await readOnly.synchronize()
            try await readOnly.close()
        }
    }

    @Test func openingAMissingFileThrowsENOENTWithThePath() async throws {
        try await withLeakCheck {
            let path = NSTemporaryDirectory() + "/ring-file-missing-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
            let error = await #expect(throws: FileError.self) { try await RingFile.open(path) }
            #expect(error?.errno == .noSuchFileOrDirectory && error?.isNotFound == true)
            #expect(error?.operation == .open && error?.path == path)
            #expect(error?.description.hasPrefix("open failed: No such file or directory (errno 2)") == true)
            let status = await #expect(throws: FileError.self) { try await RingFile.status(ofPath: path) }
            #expect(status?.errno == .noSuchFileOrDirectory)
        }
    }

    @Test func anExclusiveCreateOfAnExistingFileThrowsEEXIST() async throws {
        try await withTemporaryFile(contents: [1]) { path in
            let error = await #expect(throws: FileError.self) {
                try await RingFile.open(path, mode: .writeOnly, options: [.create, .exclusive])
            }
            #expect(error?.errno == .fileExists)
        }
    }

    @Test func aFileRemovedWhileOpenStaysUsableUntilClosed() async throws {
        try await withTemporaryFile { path in
            let file = try await RingFile.open(path, mode: .readWrite, options: [.create])
            try await file.write(Array("before".utf8), at: 0)
            #expect(unlink(path) == 0)
            try await file.write(Array("after".utf8), at: 6)
            var buffer = [UInt8](repeating: 0, count: 11)
            #expect(try await file.read(into: &buffer, at: 0) == 11)
            #expect(buffer == Array("beforeafter".utf8))
            let status = try await file.status()
            #expect(status.size == 11 && status.linkCount == 0)
            await #expect(throws: FileError.self) { try await RingFile.status(ofPath: path) }
            try await file.close()
        }
    }

    @Test func callsAfterCloseThrowEBADFAndCloseIsOnce() async throws {
        try await withTemporaryFile(contents: [1, 2, 3]) { path in
            let file = try await RingFile.open(path)
            try await file.close()
            #expect(file.isClosed)
            var buffer = [UInt8](repeating: 0, count: 3)
            let read = await #expect(throws: FileError.self) { try await file.read(into: &buffer, at: 0) }
            #expect(read?.errno == .badFileDescriptor)
            let close = await #expect(throws: FileError.self) { try await file.close() }
            #expect(close?.errno == .badFileDescriptor)
            await #expect(throws: FileError.self) { try await file.read(into: &buffer, at: -1) }
        }
    }

    @Test func aFileDroppedWithoutCloseIsClosedByItsRing() async throws {
        try await withTemporaryFile(contents: [1, 2, 3]) { path in
            for _ in 0..<20 {
                var buffer = [UInt8](repeating: 0, count: 3)
                let count = try await RingFile.open(path).read(into: &buffer, at: 0)
                #expect(count == 3)
            }
        }
    }

    @Test func concurrentReadsOfOneFileEachGetTheirBytes() async throws {
        let bytes = (0..<(64 * 4096)).map { UInt8(truncatingIfNeeded: $0 / 4096) }
        try await withTemporaryFile(contents: bytes) { path in
            let file = try await RingFile.open(path)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for block in 0..<64 {
                    group.addTask {
                        var buffer = [UInt8](repeating: 0xFF, count: 4096)
                        let count = try await file.read(into: &buffer, at: Int64(block * 4096))
                        #expect(count == 4096)
                        #expect(buffer.allSatisfy { $0 == UInt8(block) })
                    }
                }
                try await group.waitForAll()
            }
            try await file.close()
        }
    }

    /// A FIFO's read waits (io_uring polls it; the epoll driver waits for its readiness),
    /// so cancellation finds it in flight: it throws, and the bytes written afterwards are
    /// all there for the next read.
    @Test func cancellingAWaitingReadThrowsAndLosesNothing() async throws {
        try await withWaitingFIFO { fifo in
            let pending = Task {
                var buffer = [UInt8](repeating: 0, count: 16)
                return try await fifo.read(into: &buffer, at: 0)
            }
            try await Task.sleep(for: .milliseconds(50))
            pending.cancel()
            await #expect(throws: CancellationError.self) { try await pending.value }
            try await fifo.write(Array("kept".utf8), at: 0)
            var buffer = [UInt8](repeating: 0, count: 16)
            #expect(try await fifo.read(into: &buffer, at: 0) == 4)
            #expect(Array(buffer[..<4]) == Array("kept".utf8))
            try await fifo.close()
        }
    }

    /// Closing while a read waits: close waits for the read, which the cancellation of its
    /// task ends; the descriptor is closed either way.
    @Test func closeWaitsForAReadInFlightThenCloses() async throws {
        try await withWaitingFIFO { fifo in
            let pending = Task {
                var buffer = [UInt8](repeating: 0, count: 16)
                return try await fifo.read(into: &buffer, at: 0)
            }
            try await Task.sleep(for: .milliseconds(50))
            let closing = Task { try await fifo.close() }
            try await Task.sleep(for: .milliseconds(50))
            pending.cancel()
            await #expect(throws: CancellationError.self) { try await pending.value }
            try await closing.value
            #expect(fifo.isClosed)
        }
    }
}

/// Runs `body` with the path of a file in a fresh temporary directory (holding `contents`
/// when given), removes the directory afterwards and checks that no descriptor leaked.
func withTemporaryFile(contents: [UInt8]? = nil, _ body: (String) async throws -> Void) async throws {
    try await withTemporaryDirectory { directory in
        let path = directory + "/file"
        if let contents { try Data(contents).write(to: URL(fileURLWithPath: path)) }
        try await body(path)
    }
}

/// Runs `body` with a FIFO in a fresh temporary directory, opened read-write: the open
/// does not wait for a writer and a read never reports end of file, so a read of it waits
/// (io_uring polls it; the epoll driver waits for its readiness) until something is written.
func withWaitingFIFO(_ body: (RingFile) async throws -> Void) async throws {
    try await withTemporaryDirectory { directory in
        let path = directory + "/fifo"
        #expect(mkfifo(path, 0o600) == 0)
        try await body(try await RingFile.open(path, mode: .readWrite, options: [.nonBlocking]))
    }
}

func withTemporaryDirectory(_ body: (String) async throws -> Void) async throws {
    var template = Array((NSTemporaryDirectory() + "/ring-file-XXXXXX").utf8CString)
    let directory = try #require(mkdtemp(&template).map { String(cString: $0) })
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try await withLeakCheck { try await body(directory) }
}
