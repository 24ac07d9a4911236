import AsyncUring
import SystemPackage

extension RingFile {
    /// What direct I/O needs of a file's reads and writes: the file offset and the length a
    /// multiple of ``offset``, the memory's address a multiple of ``memory``.
    ///
    /// From the file's `statx` (`stx_dio_offset_align`, `stx_dio_mem_align`, Linux 6.1)
    /// where the file system reports it, else 4096 for both, which suits every device.
    public struct DirectIOAlignment: Hashable, Sendable {
        /// The alignment of the memory's address, in bytes.
        public var memory: Int
        /// The alignment of file offsets and lengths, in bytes.
        public var offset: Int

        public init(memory: Int, offset: Int) {
            self.memory = memory
            self.offset = offset
        }

        /// 4096 for both: a page, which suits every device.
        public static let page = DirectIOAlignment(memory: 4096, offset: 4096)

        init(_ status: FileStatus?) {
            guard let memory = status?.directIOMemoryAlignment, let offset = status?.directIOOffsetAlignment,
                memory > 0, offset > 0
            else {
                self = .page
                return
            }
            self.init(memory: memory, offset: offset)
        }

        var requirement: String {
            "direct I/O needs offsets and lengths in multiples of \(offset) bytes and memory aligned to \(memory)"
        }

        /// The error for a request that breaks the rule, or nil.
        func violation(offset position: Int64, count: Int, buffer: AlignedBuffer) -> String? {
            if position % Int64(offset) != 0 { return "\(requirement): offset \(position)" }
            if count % offset != 0 { return "\(requirement): length \(count)" }
            if !buffer.isAligned(to: memory) { return "\(requirement): a buffer aligned to \(buffer.alignment)" }
            return nil
        }
    }

    /// Direct I/O requests go to the kernel as soon as they are made, each in its own
    /// `io_uring_enter`, rather than with the ring's batch: a batch reaches the device at once
    /// and its completions come back in a burst, which at depth 32 on a virtio disk cost a
    /// quarter of the IOPS. Cached reads complete inline and gain from the batch instead.
    var isDirect: Bool { directIOAlignment != nil }

    /// Allocates a buffer aligned for this file's direct I/O (``directIOAlignment``), or to a
    /// page for a file opened without it.
    ///
    /// - Parameter count: The number of bytes; for direct I/O a multiple of
    ///   ``DirectIOAlignment/offset``.
    public func makeAlignedBuffer(count: Int) -> AlignedBuffer {
        AlignedBuffer(count: count, alignment: max(directIOAlignment?.memory ?? 4096, 4096))
    }

    /// Reads up to `count` bytes at `offset` into the start of `buffer`, the memory direct
    /// I/O reads into.
    ///
    /// The corresponding io_uring operation is `IORING_OP_READ`. A read whose data must come
    /// from the device (direct I/O, or pages not cached) is carried out by the kernel's
    /// worker threads or the block layer while the ring goes on; see ``RingFile``.
    ///
    /// The buffer is retained by the request until its final completion: a cancelled read
    /// never writes into memory its caller got back.
    ///
    /// - Parameters:
    ///   - buffer: Where the bytes go.
    ///   - count: How many bytes at most; by default the buffer's count.
    ///   - offset: The file offset to read from.
    /// - Returns: The number of bytes read, fewer at the end of the file, 0 at or past it.
    /// - Throws: ``FileError``: `EINVAL` with a detail naming the alignment when a file
    ///   opened with ``OpenOptions/direct`` gets an unaligned offset, length or buffer;
    ///   `CancellationError`.
    public func read(into buffer: AlignedBuffer, count: Int? = nil, at offset: Int64) async throws -> Int {
        let target = try checkedTarget(.read, buffer, count: count, offset: offset)
        let position = try Self.kernelOffset(offset, for: .read)
        return try await perform(.read) { ring, fd, operation in
            try await ring.read(fd, into: target, at: position, submitsAtOnce: self.isDirect, operation)
        }
    }

    /// Writes `count` bytes from the start of `buffer` at `offset`, repeating the request
    /// after short writes.
    ///
    /// The corresponding io_uring operation is `IORING_OP_WRITE`.
    ///
    /// - Parameters:
    ///   - buffer: The bytes to write; retained, not copied, until the write completes.
    ///   - count: How many bytes; by default the buffer's count.
    ///   - offset: The file offset to write at.
    /// - Throws: ``FileError`` (`EINVAL` naming the alignment, as for reads; `EIO` if the
    ///   kernel stopped writing before the end), `CancellationError`.
    public func write(from buffer: AlignedBuffer, count: Int? = nil, at offset: Int64) async throws {
        let target = try checkedTarget(.write, buffer, count: count, offset: offset)
        let position = try Self.kernelOffset(offset, for: .write)
        let written = try await perform(.write) { ring, fd, operation in
            try await ring.write(fd, from: target, at: position, submitsAtOnce: self.isDirect, operation)
        }
        if written < target.count { throw FileError(.write, .ioError, path: path) }
    }

    /// The request's bytes, checked against the direct I/O alignment when the file has one.
    func checkedTarget(
        _ call: FileError.Operation,
        _ buffer: AlignedBuffer,
        count: Int?,
        offset: Int64,
        registration: RegisteredBuffers? = nil,
        index: Int = 0
    ) throws(FileError) -> Ring.BufferTarget {
        let count = count ?? buffer.count
        guard count >= 0, count <= buffer.count else {
            throw FileError(call, .invalidArgument, path: path, detail: "\(count) bytes of a buffer of \(buffer.count)")
        }
        if let alignment = directIOAlignment,
            let violation = alignment.violation(offset: offset, count: count, buffer: buffer)
        {
            throw FileError(call, .invalidArgument, path: path, detail: violation)
        }
        return Ring.BufferTarget(buffer, count: count, registration: registration, index: index)
    }
}
