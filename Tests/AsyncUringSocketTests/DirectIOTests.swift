import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import Foundation
import Glibc
import SystemPackage
import Testing

/// Direct I/O (`O_DIRECT`) on a real file on a disk-backed file system (`/var/tmp`; tmpfs
/// refuses direct I/O), on the process's driver.
@Suite(
    .timeLimit(.minutes(1)),
    .enabled(if: DiskDirectory.supportsDirectIO, "the file system of /var/tmp refuses O_DIRECT")
)
struct DirectIOTests {
    @Test(arguments: [Int64(0), 4096, 1 << 20])
    func aDirectWriteReadsBackDirectly(offset: Int64) async throws {
        try await DiskDirectory.withFile { path in
            let file = try await RingFile.open(path, mode: .readWrite, options: [.create, .direct])
            let alignment = try #require(file.directIOAlignment)
            #expect(alignment.offset > 0 && 4096 % alignment.offset == 0)
            let written = file.makeAlignedBuffer(count: 8192)
            written.copyBytes(from: (0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 13) })
            try await file.write(from: written, at: offset)
            let read = file.makeAlignedBuffer(count: 8192)
            #expect(try await file.read(into: read, at: offset) == 8192)
            #expect(read.bytes(in: 0..<8192) == written.bytes(in: 0..<8192))
            #expect(try await file.status().size == offset + 8192)
            try await file.close()
        }
    }

    @Test func aDirectReadSeesWhatABufferedWriteSynchronized() async throws {
        try await DiskDirectory.withFile { path in
            let bytes = (0..<(3 * 4096)).map { UInt8(truncatingIfNeeded: $0 / 7) }
            let buffered = try await RingFile.open(path, mode: .writeOnly, options: [.create])
            try await buffered.write(bytes, at: 0)
            try await buffered.synchronize()
            try await buffered.close()
            let direct = try await RingFile.open(path, options: [.direct])
            let buffer = direct.makeAlignedBuffer(count: 4096)
            #expect(try await direct.read(into: buffer, at: 4096) == 4096)
            #expect(buffer.bytes(in: 0..<4096) == Array(bytes[4096..<8192]))
            // Past the end: nothing; the last block: all of it.
            #expect(try await direct.read(into: buffer, at: 3 * 4096) == 0)
            #expect(try await direct.read(into: buffer, at: 2 * 4096) == 4096)
            try await direct.close()
        }
    }

    @Test func aDirectFileOfOddSizeReadsShortAtItsEnd() async throws {
        try await DiskDirectory.withFile(contents: [UInt8](repeating: 9, count: 5000)) { path in
            let file = try await RingFile.open(path, options: [.direct])
            let buffer = file.makeAlignedBuffer(count: 8192)
            #expect(try await file.read(into: buffer, at: 0) == 5000)
            #expect(buffer.bytes(in: 0..<5000).allSatisfy { $0 == 9 })
            try await file.close()
        }
    }

    @Test func unalignedOffsetsAndLengthsThrowEINVALNamingTheAlignment() async throws {
        try await DiskDirectory.withFile(contents: [UInt8](repeating: 1, count: 16384)) { path in
            let file = try await RingFile.open(path, options: [.direct])
            let alignment = try #require(file.directIOAlignment)
            let buffer = file.makeAlignedBuffer(count: 8192)
            let offset = await #expect(throws: FileError.self) { try await file.read(into: buffer, at: 100) }
            #expect(offset?.errno == .invalidArgument && offset?.operation == .read)
            #expect(offset?.detail?.contains("multiples of \(alignment.offset) bytes") == true)
            #expect(offset?.detail?.hasSuffix("offset 100") == true)
            #expect(offset?.description.contains("Invalid argument (errno 22)") == true)
            let length = await #expect(throws: FileError.self) { try await file.read(into: buffer, count: 100, at: 0) }
            #expect(length?.errno == .invalidArgument && length?.detail?.hasSuffix("length 100") == true)
            let tooLong = await #expect(throws: FileError.self) {
                try await file.read(into: buffer, count: 9000, at: 0)
            }
            #expect(tooLong?.errno == .invalidArgument)
            let write = await #expect(throws: FileError.self) {
                try await file.write(from: buffer, count: 512 + 1, at: 0)
            }
            #expect(write?.errno == .invalidArgument && write?.operation == .write)
            try await file.close()
        }
    }

    @Test func statusReportsTheDirectIOAlignment() async throws {
        try await DiskDirectory.withFile(contents: [1]) { path in
            let status = try await RingFile.status(ofPath: path)
            // ext4 and xfs report it (Linux 6.1); a file system that does not leaves it nil.
            if let memory = status.directIOMemoryAlignment, let offset = status.directIOOffsetAlignment {
                #expect(memory >= 0 && offset >= 0)
                #expect(memory == 0 || memory & (memory - 1) == 0)
            }
        }
    }
}

/// A directory on a disk-backed file system for direct I/O tests.
enum DiskDirectory {
    static let root = "/var/tmp"

    /// Whether a file under ``root`` opens with O_DIRECT.
    static let supportsDirectIO: Bool = {
        let path = root + "/ring-file-probe-\(getpid())"
        let fd = open(path, O_RDWR | O_CREAT | RingFile.OpenOptions.direct.rawValue, 0o600)
        defer { unlink(path) }
        guard fd >= 0 else { return false }
        close(fd)
        return true
    }()

    /// Runs `body` with the path of a file in a fresh directory under ``root`` (holding
    /// `contents` when given), removes it afterwards and checks that no descriptor leaked.
    static func withFile(contents: [UInt8]? = nil, _ body: (String) async throws -> Void) async throws {
        var template = Array((root + "/ring-file-XXXXXX").utf8CString)
        let directory = try #require(mkdtemp(&template).map { String(cString: $0) })
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/file"
        if let contents { try Data(contents).write(to: URL(fileURLWithPath: path)) }
        try await withLeakCheck { try await body(path) }
    }
}
