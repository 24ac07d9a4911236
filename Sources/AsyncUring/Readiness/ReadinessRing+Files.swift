internal import CLiburing
import Glibc

extension ReadinessRing {
    /// A file operation, as io_uring carries it out: reads and writes are tried once
    /// without waiting (`RWF_NOWAIT`: the page cache serves them, or a pipe has data or
    /// room); one that would wait waits for readiness when its descriptor has any (a pipe, a
    /// nonblocking FIFO), and goes to a worker thread otherwise (a regular file or block
    /// device, which epoll refuses; a blocking FIFO), as does direct I/O and every open,
    /// `statx` and `fsync`: see ``ReadinessWorkers``.
    ///
    /// - Returns: what the attempt led to, or nil for an opcode that is not a file operation.
    func attemptFileOperation(_ operation: inout ReadinessOperation) -> Outcome? {
        if let isWrite = operation.transfersToFile { return attemptTransfer(&operation, isWrite: isWrite) }
        switch operation.opcode {
        case ReadinessOpcode.openAt, ReadinessOpcode.statx, ReadinessOpcode.fsync:
            return .offload
        default:
            return nil
        }
    }

    private func attemptTransfer(_ operation: inout ReadinessOperation, isWrite: Bool) -> Outcome {
        let fd = operation.fd
        if cliburing_is_direct(fd) == 1 { return .offload }
        while true {
            let offset = operation.offset == UInt64.max ? -1 : Int64(bitPattern: operation.offset)
            let moved = operation.withVectors { vectors, count in
                cliburing_rw_nowait(fd, vectors, count, offset, isWrite ? 1 : 0)
            }
            if moved >= 0 { return .completed(Int32(truncatingIfNeeded: moved)) }
            switch errno {
            case EINTR:
                continue
            case ESPIPE where offset != -1:
                // A pipe or FIFO has no offsets: it reads and writes where it stands.
                operation.offset = UInt64.max
            case EAGAIN:
                return Self.hasReadiness(fd) ? .wait(isWrite ? .write : .read) : .offload
            case EOPNOTSUPP:
                // The file does not take RWF_NOWAIT (a FIFO opened by path, a terminal,
                // buffered writes on ext4): a nonblocking descriptor epoll can wait for is
                // tried with a plain call; anything else goes to a worker, where a wait
                // blocks nobody else.
                guard Self.hasReadiness(fd), Self.isNonBlocking(fd) else { return .offload }
                let result = operation.performBlocking()
                return result == -EAGAIN ? .wait(isWrite ? .write : .read) : .completed(result)
            case let error:
                return .completed(-error)
            }
        }
    }

    private static func isNonBlocking(_ fd: Int32) -> Bool {
        let flags = fcntl(fd, F_GETFL)
        return flags >= 0 && flags & O_NONBLOCK != 0
    }

    /// Whether epoll can wait for `fd`: not a regular file or a block device.
    private static func hasReadiness(_ fd: Int32) -> Bool {
        var status = stat()
        guard fstat(fd, &status) == 0 else { return true }
        let type = status.st_mode & S_IFMT
        return type != S_IFREG && type != S_IFBLK
    }
}

extension ReadinessOperation {
    /// For a read or write, plain, fixed or vectored, whether it writes; nil for any other
    /// operation.
    fileprivate var transfersToFile: Bool? {
        switch opcode {
        case ReadinessOpcode.read, ReadinessOpcode.readFixed, ReadinessOpcode.readVector: false
        case ReadinessOpcode.write, ReadinessOpcode.writeFixed, ReadinessOpcode.writeVector: true
        default: nil
        }
    }

    /// The buffers of a read or write: `addr` and `len`, or for a vectored one the `iovec`
    /// array at `addr` and its count in `len`.
    fileprivate func withVectors<Result>(_ body: (UnsafePointer<iovec>?, Int32) -> Result) -> Result {
        switch opcode {
        case ReadinessOpcode.readVector, ReadinessOpcode.writeVector:
            return body(pointer?.assumingMemoryBound(to: iovec.self), Int32(length))
        default:
            var single = iovec(iov_base: pointer, iov_len: Int(length))
            return body(&single, 1)
        }
    }

    /// Carries out a file operation with its blocking system call, on a worker thread (or
    /// on the ring thread when no worker can be started). Reads only the entry's fields and
    /// the memory they point at, which the request's owner keeps until the completion.
    ///
    /// - Returns: the result io_uring would post.
    func performBlocking() -> Int32 {
        if let isWrite = transfersToFile {
            // At the offset, or where the descriptor stands: offset -1, or a pipe (ESPIPE).
            let position = offset == UInt64.max ? -1 : off_t(Int64(bitPattern: offset))
            let (positioned, plain) = isWrite ? (pwritev, writev) : (preadv, readv)
            return withVectors { vectors, count in
                Self.retryingInterrupts {
                    let moved = position < 0 ? -1 : positioned(fd, vectors, count, position)
                    guard position < 0 || (moved < 0 && errno == ESPIPE) else { return moved }
                    return plain(fd, vectors, count)
                }
            }
        }
        switch opcode {
        case ReadinessOpcode.openAt:
            // `open_flags` shares its place with `msg_flags`; `len` carries the mode.
            let path = pointer?.assumingMemoryBound(to: CChar.self)
            return Self.retryingInterrupts {
                Int(openat(fd, path!, Int32(bitPattern: opFlags), mode_t(length)))
            }
        case ReadinessOpcode.fsync:
            let dataOnly = opFlags & IORING_FSYNC_DATASYNC != 0
            return Self.retryingInterrupts { Int(dataOnly ? fdatasync(fd) : fsync(fd)) }
        case ReadinessOpcode.statx:
            // `addr` is the path, `len` the mask, `off` (`addr2`) the buffer.
            let path = pointer?.assumingMemoryBound(to: CChar.self)
            let buffer = UnsafeMutablePointer<statx>(bitPattern: UInt(offset))
            return Self.retryingInterrupts {
                Int(cliburing_statx(fd, path, Int32(bitPattern: opFlags), length, buffer))
            }
        default:
            return -EOPNOTSUPP
        }
    }

    /// The call's result, or its negated errno; `EINTR` is retried.
    private static func retryingInterrupts(_ call: () -> Int) -> Int32 {
        while true {
            let result = call()
            if result >= 0 { return Int32(truncatingIfNeeded: result) }
            if errno != EINTR { return -errno }
        }
    }
}
