internal import CLiburing
import Glibc
import SystemPackage

/// File reads and writes with the caller's ``AlignedBuffer``: plain (`IORING_OP_READ`,
/// `IORING_OP_WRITE`) or, for a buffer of a ``RegisteredBuffers`` set, with the buffer the
/// kernel pinned at registration (`IORING_OP_READ_FIXED`, `IORING_OP_WRITE_FIXED`).
///
/// The operation's state retains the buffer (and the registration) until the final
/// completion, so a cancelled call never leaves the kernel writing into freed memory.
extension Ring {
    /// Where a request's bytes are: `count` bytes from `buffer`'s start, and the index of the
    /// registered buffer it is, if it is one.
    package struct BufferTarget: @unchecked Sendable {
        package var buffer: AlignedBuffer
        package var count: Int
        package var registration: RegisteredBuffers?
        package var index: Int

        package init(_ buffer: AlignedBuffer, count: Int, registration: RegisteredBuffers? = nil, index: Int = 0) {
            precondition(count >= 0 && count <= buffer.count, "\(count) bytes of a buffer of \(buffer.count)")
            self.buffer = buffer
            self.count = count
            self.registration = registration
            self.index = index
        }
    }

    /// One read at `offset` into `target`: `IORING_OP_READ_FIXED` for a registered buffer,
    /// else `IORING_OP_READ`. `submitsAtOnce`: see ``perform(_:timeout:submitsAtOnce:_:)``.
    /// - Returns: the count read, 0 at end of file.
    package func read(
        _ fd: Int32,
        into target: BufferTarget,
        at offset: UInt64,
        submitsAtOnce: Bool = false,
        _ operation: OperationState
    ) async throws -> IOResult {
        if let error = registrationError(target) { return .failure(error) }
        operation.retainedStorage = target
        defer { operation.retainedStorage = nil }
        let (base, count) = (target.buffer.base, UInt32(clamping: target.count))
        return IOResult(
            completion: try await perform(operation, timeout: nil, submitsAtOnce: submitsAtOnce) { sqe in
                if target.registration != nil {
                    io_uring_prep_read_fixed(sqe, fd, base, count, offset, Int32(target.index))
                } else {
                    io_uring_prep_read(sqe, fd, base, count, offset)
                }
            }
        )
    }

    /// Writes at `offset` from `target` until every byte is written or one request writes
    /// nothing: `IORING_OP_WRITE_FIXED` for a registered buffer, else `IORING_OP_WRITE`.
    /// - Returns: the count written.
    package func write(
        _ fd: Int32,
        from target: BufferTarget,
        at offset: UInt64,
        submitsAtOnce: Bool = false,
        _ operation: OperationState
    ) async throws -> IOResult {
        if let error = registrationError(target) { return .failure(error) }
        operation.retainedStorage = target
        defer { operation.retainedStorage = nil }
        let base = target.buffer.base
        var done = 0
        while done < target.count {
            let result = try await perform(operation, timeout: nil, submitsAtOnce: submitsAtOnce) { [done] sqe in
                let count = UInt32(clamping: target.count - done)
                let position = offset + UInt64(done)
                if target.registration != nil {
                    io_uring_prep_write_fixed(sqe, fd, base + done, count, position, Int32(target.index))
                } else {
                    io_uring_prep_write(sqe, fd, base + done, count, position)
                }
            }
            if result < 0 { return IOResult(completion: result) }
            if result == 0 { break }
            done += Int(result)
        }
        return .success(done)
    }

    /// A registered buffer belongs to one ring (else `EINVAL`), and only while it is
    /// registered (else `EBADF`, as the kernel would say for a missing table).
    private func registrationError(_ target: BufferTarget) -> Errno? {
        guard let registration = target.registration else { return nil }
        guard registration.ring === self else { return .invalidArgument }
        guard registeredFileBuffers == registration.serial else { return .badFileDescriptor }
        return nil
    }
}
