import AsyncUring
import SystemPackage

extension RingFile {
    /// Reads up to `count` bytes at `offset` into the registered buffer at `index`
    /// (`buffers[index]`).
    ///
    /// The corresponding io_uring operation is `IORING_OP_READ_FIXED`: the kernel uses the
    /// pages it pinned at registration instead of mapping the memory for this request. On the
    /// epoll driver it is a `pread` into the same memory.
    ///
    /// The request retains the set until its final completion; see `RegisteredBuffers` for
    /// the ownership rules.
    ///
    /// ```swift
    /// let buffers = try await file.ring.registerFileBuffers(count: 4, size: 4096)
    /// let count = try await file.read(into: buffers, index: 0, at: 0)
    /// print(buffers[0].bytes(in: 0..<count))
    /// ```
    ///
    /// - Parameters:
    ///   - buffers: A set registered with this file's ring.
    ///   - index: Which buffer of the set.
    ///   - count: How many bytes at most; by default the buffer's size.
    ///   - offset: The file offset to read from.
    /// - Returns: The number of bytes read, fewer at the end of the file, 0 at or past it.
    /// - Throws: ``FileError`` (`EINVAL` naming what is wrong for a set registered with
    ///   another ring, or an unaligned direct I/O request; `EBADF` for a set unregistered),
    ///   `CancellationError`.
    public func read(
        into buffers: RegisteredBuffers,
        index: Int,
        count: Int? = nil,
        at offset: Int64
    )
        async throws -> Int
    {
        let target = try registeredTarget(.read, buffers, index: index, count: count, offset: offset)
        let position = try Self.kernelOffset(offset, for: .read)
        return try await perform(.read) { ring, fd, operation in
            try await ring.read(fd, into: target, at: position, submitsAtOnce: self.isDirect, operation)
        }
    }

    /// Writes `count` bytes from the registered buffer at `index` at `offset`, repeating the
    /// request after short writes.
    ///
    /// The corresponding io_uring operation is `IORING_OP_WRITE_FIXED` (a `pwrite` on the
    /// epoll driver).
    ///
    /// - Parameters:
    ///   - buffers: A set registered with this file's ring.
    ///   - index: Which buffer of the set.
    ///   - count: How many bytes; by default the buffer's size.
    ///   - offset: The file offset to write at.
    /// - Throws: as ``read(into:index:count:at:)``, and `EIO` if the kernel stopped writing
    ///   before the end.
    public func write(from buffers: RegisteredBuffers, index: Int, count: Int? = nil, at offset: Int64) async throws {
        let target = try registeredTarget(.write, buffers, index: index, count: count, offset: offset)
        let position = try Self.kernelOffset(offset, for: .write)
        let written = try await perform(.write) { ring, fd, operation in
            try await ring.write(fd, from: target, at: position, submitsAtOnce: self.isDirect, operation)
        }
        if written < target.count { throw FileError(.write, .ioError, path: path) }
    }

    private func registeredTarget(
        _ call: FileError.Operation,
        _ buffers: RegisteredBuffers,
        index: Int,
        count: Int?,
        offset: Int64
    ) throws(FileError) -> Ring.BufferTarget {
        guard buffers.ring === ring else {
            throw FileError(call, .invalidArgument, path: path, detail: "buffers registered with another ring")
        }
        guard buffers.buffers.indices.contains(index) else {
            throw FileError(
                call,
                .invalidArgument,
                path: path,
                detail: "no registered buffer \(index) of \(buffers.count)"
            )
        }
        guard buffers.isRegistered else {
            throw FileError(call, .badFileDescriptor, path: path, detail: "buffers unregistered")
        }
        return try checkedTarget(
            call,
            buffers[index],
            count: count,
            offset: offset,
            registration: buffers,
            index: index
        )
    }
}
