import AsyncUring
import SystemPackage

extension RingFile {
    /// Reads up to `buffer.count` bytes at `offset` into `buffer`, from its start, without
    /// allocating.
    ///
    /// The corresponding io_uring operation is `IORING_OP_READ`.
    ///
    /// A read that reaches the end of the file returns fewer bytes; one at or past the end
    /// returns 0. If the task is cancelled while the read waits (a FIFO), the read is
    /// cancelled and this throws `CancellationError`; a read that completed anyway returns
    /// its count.
    ///
    /// - Parameters:
    ///   - buffer: Where the bytes go; its count is the most read.
    ///   - offset: The file offset to read from.
    /// - Returns: The number of bytes read, 0 at end of file.
    /// - Throws: ``FileError``, `CancellationError`.
    public func read(into buffer: inout [UInt8], at offset: Int64) async throws -> Int {
        let position = try Self.kernelOffset(offset, for: .read)
        nonisolated(unsafe) var lent: [UInt8] = []
        swap(&lent, &buffer)
        defer { swap(&lent, &buffer) }
        return try await perform(.read) { ring, fd, operation in
            try await ring.read(fd, into: &lent, count: lent.count, at: position, operation)
        }
    }

    /// Reads at `offset` into `buffers`, filling each whole before the next (a scattering
    /// read), in one request.
    ///
    /// The corresponding io_uring operation is `IORING_OP_READV`.
    ///
    /// - Parameters:
    ///   - buffers: Where the bytes go, in order; their counts sum to the most read.
    ///   - offset: The file offset to read from.
    /// - Returns: The number of bytes read in all, fewer at the end of the file, 0 at or
    ///   past it.
    /// - Throws: ``FileError``, `CancellationError`.
    public func read(scatteringInto buffers: inout [[UInt8]], at offset: Int64) async throws -> Int {
        let position = try Self.kernelOffset(offset, for: .read)
        nonisolated(unsafe) var lent: [[UInt8]] = []
        swap(&lent, &buffers)
        defer { swap(&lent, &buffers) }
        return try await perform(.read) { ring, fd, operation in
            try await ring.read(fd, into: &lent, at: position, operation)
        }
    }

    /// Writes all of `bytes` at `offset`, repeating the request after short writes.
    ///
    /// The corresponding io_uring operation is `IORING_OP_WRITE`.
    ///
    /// - Parameters:
    ///   - bytes: The bytes to write; retained, not copied, until the write completes.
    ///   - offset: The file offset to write at (ignored with ``OpenOptions/append``).
    /// - Throws: ``FileError`` (`EIO` if the kernel stopped writing before the end),
    ///   `CancellationError` (some bytes may have been written).
    public func write(_ bytes: [UInt8], at offset: Int64) async throws {
        let position = try Self.kernelOffset(offset, for: .write)
        let written = try await perform(.write) { ring, fd, operation in
            try await ring.write(fd, bytes[...], at: position, operation)
        }
        if written < bytes.count { throw FileError(.write, .ioError, path: path) }
    }

    /// Writes all of `buffers`, one after the other, at `offset` (a gathering write), in
    /// one request, repeated after short writes.
    ///
    /// The corresponding io_uring operation is `IORING_OP_WRITEV`.
    ///
    /// - Parameters:
    ///   - buffers: The bytes to write, in order; retained, not copied.
    ///   - offset: The file offset to write at.
    /// - Throws: ``FileError``, `CancellationError`.
    public func write(gathering buffers: [[UInt8]], at offset: Int64) async throws {
        let position = try Self.kernelOffset(offset, for: .write)
        let total = buffers.reduce(0) { $0 + $1.count }
        let written = try await perform(.write) { ring, fd, operation in
            try await ring.write(fd, buffers, at: position, operation)
        }
        if written < total { throw FileError(.write, .ioError, path: path) }
    }

    /// Flushes the file's data and metadata to the device (fsync(2)).
    ///
    /// The corresponding io_uring operation is `IORING_OP_FSYNC`.
    ///
    /// - Throws: ``FileError``, `CancellationError`.
    public func synchronize() async throws {
        _ = try await perform(.synchronize) { ring, fd, operation in
            try await ring.synchronize(fd, dataOnly: false, operation)
        }
    }

    /// Flushes the file's data, and only the metadata needed to read it back, to the
    /// device (fdatasync(2)).
    ///
    /// The corresponding io_uring operation is `IORING_OP_FSYNC` with
    /// `IORING_FSYNC_DATASYNC`.
    ///
    /// - Throws: ``FileError``, `CancellationError`.
    public func synchronizeData() async throws {
        _ = try await perform(.synchronize) { ring, fd, operation in
            try await ring.synchronize(fd, dataOnly: true, operation)
        }
    }
}
