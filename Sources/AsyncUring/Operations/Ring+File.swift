internal import CLiburing
import Glibc
import SystemPackage

/// File operations. Each runs on the ring thread and submits requests whose memory (the
/// path, iovecs, the caller's arrays, the statx buffer) the operation's state owns until the
/// final completion, so cancelling the awaiting task never frees memory the kernel uses:
/// see ``Ring/perform(_:timeout:_:)``.
///
/// When a read completes inline: io_uring first tries a read without blocking, at
/// submission. A read whose pages are in the page cache completes then, in the
/// `io_uring_enter` that submitted it, and costs about what `pread` costs. A buffered read
/// that misses the cache waits on the page and is retried from task work where the file
/// system reads asynchronously (ext4, xfs, btrfs: `FMODE_BUF_RASYNC`), else it is handed to
/// the kernel's worker threads (io-wq); an `O_DIRECT` read goes to the block layer and
/// completes from the device's interrupt, reaching io-wq only when the block layer cannot
/// take it without blocking. Opens, `statx`, `fsync` and `splice` always run on io-wq. A
/// pipe or FIFO read that finds nothing arms a poll instead and can be cancelled while it
/// waits. On the epoll driver every file operation is a synchronous system call on the
/// ring thread (see ``ReadinessRing``).
extension Ring {
    /// Runs `body` with an operation state from the ring's pool.
    package func withPooledOperation<T>(_ body: (OperationState) async throws -> T) async throws -> T {
        precondition(isCurrentThread, "operations are submitted from the ring thread")
        let operation = operationPool.popLast() ?? OperationState()
        defer { if operationPool.count < 64 { operationPool.append(operation) } }
        return try await body(operation)
    }

    /// `IORING_OP_OPENAT`; the new descriptor is close-on-exec. An open that completed
    /// although the task was cancelled returns its descriptor.
    package func open(
        _ path: String,
        relativeTo directory: Int32 = AT_FDCWD,
        flags: Int32,
        mode: UInt32,
        _ operation: OperationState
    ) async throws -> IOResult {
        let name = path.utf8CString
        operation.retainedStorage = name
        defer { operation.retainedStorage = nil }
        // SAFETY: the array's storage is retained by the operation's state until the final
        // completion and never mutated.
        let pointer = name.withUnsafeBufferPointer { $0.baseAddress! }
        return IOResult(
            completion: try await perform(operation, timeout: nil) { sqe in
                io_uring_prep_openat(sqe, directory, pointer, flags | O_CLOEXEC, mode_t(mode))
            }
        )
    }

    /// `IORING_OP_READ` of up to `count` bytes at `offset` into the start of `buffer`.
    /// - Returns: the count read, 0 at end of file.
    package func read(
        _ fd: Int32,
        into buffer: inout [UInt8],
        count: Int,
        at offset: UInt64,
        _ operation: OperationState
    ) async throws -> IOResult {
        precondition(count >= 0 && count <= buffer.count, "a read longer than its buffer")
        var storage = take(&buffer)
        defer { buffer = storage }
        let base = Self.uniqueBase(of: &storage)
        operation.retainedStorage = storage
        defer { operation.retainedStorage = nil }
        return IOResult(
            completion: try await perform(operation, timeout: nil) { sqe in
                io_uring_prep_read(sqe, fd, base, UInt32(clamping: count), offset)
            }
        )
    }

    /// `IORING_OP_WRITE` at `offset`, repeated over short writes until every byte is
    /// written or one writes nothing.
    /// - Returns: the count written.
    package func write(
        _ fd: Int32,
        _ bytes: ArraySlice<UInt8>,
        at offset: UInt64,
        _ operation: OperationState
    ) async throws -> IOResult {
        let (written, failure) = try await performWhole(bytes, operation, timeout: nil) { sqe, pointer, count, done in
            io_uring_prep_write(sqe, fd, pointer, UInt32(clamping: count), offset + UInt64(done))
        }
        return failure.map(IOResult.init(completion:)) ?? .success(written)
    }

    /// `IORING_OP_FSYNC`, with `IORING_FSYNC_DATASYNC` when `dataOnly` (fdatasync).
    package func synchronize(_ fd: Int32, dataOnly: Bool, _ operation: OperationState) async throws -> IOResult {
        IOResult(
            completion: try await perform(operation, timeout: nil) { sqe in
                io_uring_prep_fsync(sqe, fd, dataOnly ? IORING_FSYNC_DATASYNC : 0)
            }
        )
    }

    /// Moves the array out of `buffer`, leaving it empty, so the array has one owner.
    private func take(_ buffer: inout [UInt8]) -> [UInt8] {
        var taken: [UInt8] = []
        swap(&taken, &buffer)
        return taken
    }

    /// The base address of an array's storage, made unique first (so no copy-on-write moves
    /// it later while the caller keeps the array unmutated).
    static func uniqueBase(of array: inout [UInt8]) -> UnsafeMutableRawPointer? {
        // SAFETY: the pointer outlives the closure; callers retain the array in the
        // operation's state and mutate it only after the final completion.
        array.withUnsafeMutableBytes { $0.baseAddress }
    }
}

extension Ring {
    /// `IORING_OP_STATX` of `path` relative to `directory`, or of the descriptor itself
    /// when `path` is nil (`AT_EMPTY_PATH`). The kernel fills a buffer the operation's state
    /// owns until the completion.
    package func status(
        of directory: Int32,
        path: String?,
        _ operation: OperationState
    ) async throws -> Result<FileStatus, Errno> {
        let name = (path ?? "").utf8CString
        let buffer = RequestMemory(of: statx.self, count: 1)
        let status = buffer.typed(as: statx.self)
        operation.retainedStorage = (name, buffer)
        defer { operation.retainedStorage = nil }
        // SAFETY: the path's storage is retained by the operation's state until the final
        // completion and never mutated.
        let pointer = name.withUnsafeBufferPointer { $0.baseAddress! }
        let flags = path == nil ? Self.emptyPath : 0
        let mask = UInt32(STATX_BASIC_STATS) | UInt32(STATX_BTIME) | UInt32(STATX_DIOALIGN)
        let result = try await perform(operation, timeout: nil) { sqe in
            io_uring_prep_statx(sqe, directory, pointer, flags, mask, status)
        }
        guard result >= 0 else { return .failure(Errno(rawValue: -result)) }
        return .success(FileStatus(status.pointee))
    }

    /// Glibc declares it for `_GNU_SOURCE` only, which Swift's Glibc module is built without.
    private static let emptyPath: Int32 = 0x1000  // AT_EMPTY_PATH
}
