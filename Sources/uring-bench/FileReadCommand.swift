import ArgumentParser
import AsyncUring
import AsyncUringSocket

/// `uring-bench file-read`: random block reads of an existing file through `RingFile`, at a
/// fixed queue depth (that many tasks, each with one read in flight), on one ring, to set
/// beside `fio --rw=randread --bs=4k --iodepth=N` on the same file. Prints one line:
/// `file-read driver=io_uring depth=32 block=4096 reads=N seconds=S iops=I`.
struct FileReadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "file-read",
        abstract: "Random block reads of a file through RingFile, for comparison with fio."
    )

    @Option(help: "The file to read (e.g. the one fio laid out).")
    var path: String

    @Option(help: "Reads in flight at once.")
    var depth = 1

    @Option(help: "The block size, in bytes; offsets are multiples of it.")
    var block = 4096

    @Option(help: "How long to read, in seconds.")
    var seconds = 5.0

    @Option(help: "The ring driver (default: automatic).")
    var driver: RingDriver?

    func run() async throws {
        let group = try RingGroup(numberOfRings: 1, configuration: RingConfiguration(driver: driver))
        let ring = group.rings[0]
        let file = try await RingFile.open(path, ring: ring)
        let blocks = Int(try await file.status().size) / block
        guard blocks > 0 else { throw ValidationError("the file is smaller than one block") }
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int(seconds * 1000))
        let start = clock.now
        let reads = try await withThrowingTaskGroup(of: Int.self) { tasks in
            for worker in 0..<depth {
                tasks.addTask(executorPreference: ring) { [block] in
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
        let elapsed = clock.now - start
        try await file.close()
        await group.shutdown()
        let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(
            "file-read driver=\(ring.driver) depth=\(depth) block=\(block) reads=\(reads)"
                + " seconds=\(elapsedSeconds) iops=\(Int(Double(reads) / elapsedSeconds))"
        )
    }

    /// One reader: block-aligned random offsets (xorshift), one read at a time, until the
    /// deadline; checks the clock every 64 reads.
    private static func readRandomly(
        _ file: RingFile,
        blocks: Int,
        block: Int,
        seed: UInt64,
        until deadline: ContinuousClock.Instant
    ) async throws -> Int {
        var buffer = [UInt8](repeating: 0, count: block)
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        var reads = 0
        while reads % 64 != 0 || ContinuousClock.now < deadline {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            let offset = Int64(Int(state % UInt64(blocks)) * block)
            guard try await file.read(into: &buffer, at: offset) == block else {
                throw ValidationError("a short read at \(offset)")
            }
            reads += 1
        }
        return reads
    }
}
