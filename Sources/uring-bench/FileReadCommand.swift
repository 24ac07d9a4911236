import ArgumentParser
import AsyncUring
import AsyncUringSocket

/// `uring-bench file-read`: random block reads of an existing file through `RingFile`, at a
/// fixed queue depth (that many tasks, each with one read in flight), on one ring, to set
/// beside `fio --rw=randread --bs=4k --iodepth=N` on the same file. Prints one line:
/// `file-read driver=io_uring depth=32 block=4096 reads=N seconds=S iops=I`, with
/// `direct=1` and `registered=1` when those were asked for.
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

    @Flag(help: "Open the file with O_DIRECT (reads into aligned buffers, bypassing the page cache).")
    var direct = false

    @Flag(help: "Read into buffers registered with the ring (READ_FIXED), one per reader.")
    var registered = false

    func validate() throws {
        guard depth >= 1 else { throw ValidationError("--depth must be at least 1, not \(depth)") }
        guard block >= 1 else { throw ValidationError("--block must be at least 1, not \(block)") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive, not \(seconds)") }
        if direct, block % 512 != 0 {
            throw ValidationError("--direct needs a --block that is a multiple of 512, not \(block)")
        }
    }

    func run() async throws {
        let group = try RingGroup(numberOfRings: 1, configuration: RingConfiguration(driver: driver))
        let ring = group.rings[0]
        let file = try await RingFile.open(path, options: direct ? [.direct] : [], ring: ring)
        let blocks = Int(try await file.status().size) / block
        guard blocks > 0 else { throw ValidationError("the file is smaller than one block") }
        let buffers = registered ? try await ring.registerFileBuffers(count: depth, size: block) : nil
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int(seconds * 1000))
        let start = clock.now
        let reads = try await withThrowingTaskGroup(of: Int.self) { tasks in
            for worker in 0..<depth {
                let reader = Reader(file: file, block: block, buffers: buffers, index: worker)
                tasks.addTask(executorPreference: ring) {
                    try await reader.readRandomly(blocks: blocks, seed: UInt64(worker + 1), until: deadline)
                }
            }
            return try await tasks.reduce(0, +)
        }
        let elapsed = clock.now - start
        await buffers?.unregister()
        try await file.close()
        await group.shutdown()
        let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(
            "file-read driver=\(ring.driver) depth=\(depth) block=\(block)"
                + (direct ? " direct=1" : "") + (registered ? " registered=1" : "")
                + " reads=\(reads) seconds=\(elapsedSeconds) iops=\(Int(Double(reads) / elapsedSeconds))"
        )
    }
}

/// One reader: block-aligned random offsets (xorshift), one read at a time, into an array,
/// an aligned buffer (direct I/O) or its registered buffer.
private struct Reader: Sendable {
    var file: RingFile
    var block: Int
    var buffers: RegisteredBuffers?
    var index: Int

    /// Reads until the deadline; checks the clock every 64 reads.
    func readRandomly(blocks: Int, seed: UInt64, until deadline: ContinuousClock.Instant) async throws -> Int {
        var array = [UInt8](repeating: 0, count: block)
        let aligned = file.makeAlignedBuffer(count: block)
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        var reads = 0
        while reads % 64 != 0 || ContinuousClock.now < deadline {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            let offset = Int64(Int(state % UInt64(blocks)) * block)
            let count =
                if let buffers {
                    try await file.read(into: buffers, index: index, at: offset)
                } else if file.directIOAlignment != nil {
                    try await file.read(into: aligned, at: offset)
                } else {
                    try await file.read(into: &array, at: offset)
                }
            guard count == block else { throw ValidationError("a short read at \(offset)") }
            reads += 1
        }
        return reads
    }
}
