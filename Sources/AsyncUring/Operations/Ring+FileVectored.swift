internal import CLiburing
import Glibc

/// Vectored file operations: one request over several arrays, its iovecs in memory the
/// operation's state owns until the final completion.
extension Ring {
    /// `IORING_OP_READV` at `offset`, filling `buffers` in order, each over its whole count.
    /// - Returns: the count read in all (a short read at end of file), 0 at end of file.
    package func read(
        _ fd: Int32,
        into buffers: inout [[UInt8]],
        at offset: UInt64,
        _ operation: OperationState
    ) async throws -> IOResult {
        var storage: [[UInt8]] = []
        swap(&storage, &buffers)
        defer { buffers = storage }
        let vectors = RequestMemory(of: iovec.self, count: storage.count)
        let iovecs = vectors.typed(as: iovec.self)
        for index in storage.indices {
            iovecs[index] = iovec(iov_base: Self.uniqueBase(of: &storage[index]), iov_len: storage[index].count)
        }
        operation.retainedStorage = (vectors, storage)
        defer { operation.retainedStorage = nil }
        return IOResult(
            completion: try await perform(operation, timeout: nil) { [count = storage.count] sqe in
                io_uring_prep_readv(sqe, fd, iovecs, UInt32(count), offset)
            }
        )
    }

    /// `IORING_OP_WRITEV` at `offset`, repeated over short writes until every byte of
    /// `buffers` is written or one writes nothing.
    /// - Returns: the count written.
    package func write(
        _ fd: Int32,
        _ buffers: [[UInt8]],
        at offset: UInt64,
        _ operation: OperationState
    ) async throws -> IOResult {
        let vectors = RequestMemory(of: iovec.self, count: buffers.count)
        let iovecs = vectors.typed(as: iovec.self)
        var total = 0
        for (index, buffer) in buffers.enumerated() {
            // SAFETY: the arrays are retained by the operation's state and not mutated until
            // this function returns, after the final completion; the kernel only reads them.
            let base = buffer.withUnsafeBytes { UnsafeMutableRawPointer(mutating: $0.baseAddress) }
            iovecs[index] = iovec(iov_base: base, iov_len: buffer.count)
            total += buffer.count
        }
        operation.retainedStorage = (vectors, buffers)
        defer { operation.retainedStorage = nil }
        var first = 0
        var written = 0
        while written < total {
            let result = try await perform(operation, timeout: nil) { [first, written] sqe in
                io_uring_prep_writev(sqe, fd, iovecs + first, UInt32(buffers.count - first), offset + UInt64(written))
            }
            if result < 0 { return IOResult(completion: result) }
            if result == 0 { break }
            written += Int(result)
            first = Self.advance(iovecs, from: first, count: buffers.count, by: Int(result))
        }
        return .success(written)
    }

    /// Moves past `done` bytes of the iovecs from `first` on; returns the first with bytes
    /// left, its base and length adjusted.
    private static func advance(
        _ iovecs: UnsafeMutablePointer<iovec>,
        from first: Int,
        count: Int,
        by done: Int
    ) -> Int {
        var index = first
        var left = done
        while index < count, left >= iovecs[index].iov_len {
            left -= iovecs[index].iov_len
            index += 1
        }
        if index < count, left > 0 {
            iovecs[index].iov_base = iovecs[index].iov_base.map { $0 + left }
            iovecs[index].iov_len -= left
        }
        return index
    }
}
