import ArgumentParser
import NIOCore
import _NIOFileSystem

/// Random block reads of an existing file through SwiftNIO's file system (`_NIOFileSystem`,
/// each read a hop to its blocking thread pool and back), at a fixed queue depth (that many
/// tasks, each with one read in flight): the peer of `uring-bench file-read`, with the same
/// flags and the same line,
/// `file-read driver=nio depth=32 block=4096 reads=N seconds=S iops=I`.
@main
struct NIOFileReadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nio-file-read",
        abstract: "Random block reads of a file through NIOFileSystem, a benchmark peer."
    )

    @Option(help: "The file to read.")
    var path: String

    @Option(help: "Reads in flight at once.")
    var depth = 1

    @Option(help: "The block size, in bytes; offsets are multiples of it.")
    var block = 4096

    @Option(help: "How long to read, in seconds.")
    var seconds = 5.0

    @Option(help: "Threads of the file system's blocking pool (NIO's default is 2).")
    var threads = 2

    func run() async throws {
        let (reads, elapsed) = try await withFileSystem(numberOfThreads: threads) { fileSystem in
            try await fileSystem.withFileHandle(forReadingAt: FilePath(path)) { file in
                let size = try await file.info().size
                let blocks = Int(size) / block
                guard blocks > 0 else { throw ValidationError("the file is smaller than one block") }
                let clock = ContinuousClock()
                let start = clock.now
                let deadline = start + .milliseconds(Int(seconds * 1000))
                let reads = try await withThrowingTaskGroup(of: Int.self) { tasks in
                    for worker in 0..<depth {
                        tasks.addTask { [block] in
                            try await Self.readRandomly(
                                file,
                                blocks: blocks,
                                block: block,
                                seed: UInt64(worker + 1),
                                until: deadline
                            )
                        }
                    }
                    return try await tasks.reduce(0, +)
                }
                return (reads, clock.now - start)
            }
        }
        let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(
            "file-read driver=nio depth=\(depth) block=\(block) reads=\(reads)"
                + " seconds=\(elapsedSeconds) iops=\(Int(Double(reads) / elapsedSeconds))"
        )
    }

    /// One reader: block-aligned random offsets (the xorshift of `uring-bench file-read`),
    /// one read at a time, until the deadline; checks the clock every 64 reads.
    private static func readRandomly(
        _ file: ReadFileHandle,
        blocks: Int,
        block: Int,
        seed: UInt64,
        until deadline: ContinuousClock.Instant
    ) async throws -> Int {
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        var reads = 0
        while reads % 64 != 0 || ContinuousClock.now < deadline {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            let offset = Int64(Int(state % UInt64(blocks)) * block)
            let chunk = try await file.readChunk(fromAbsoluteOffset: offset, length: .bytes(Int64(block)))
            guard chunk.readableBytes == block else { throw ValidationError("a short read at \(offset)") }
            reads += 1
        }
        return reads
    }
}
