internal import CLiburing
import Glibc

extension ReadinessRing {
    /// Carries out a file operation with its system call, synchronously: epoll cannot wait
    /// for a regular file (it refuses one with `EPERM`; a file is always "ready"), so there
    /// is no readiness to wait for. A file operation blocks the ring thread here for as long
    /// as the call takes (a read from disk, an fsync), where io_uring would hand it to its
    /// worker threads. Plain `IORING_OP_READ`/`WRITE` are served with the socket operations.
    ///
    /// - Returns: the result io_uring would post, or nil for an opcode that is not a file
    ///   operation.
    func attemptFileOperation(_ operation: ReadinessOperation) -> Int32? {
        let fd = operation.fd
        let offset = off_t(Int64(bitPattern: operation.offset))
        switch operation.opcode {
        case ReadinessOpcode.openAt:
            // `open_flags` shares its place with `msg_flags`; `len` carries the mode.
            let path = operation.pointer?.assumingMemoryBound(to: CChar.self)
            return retryingInterrupts {
                Int(openat(fd, path!, Int32(bitPattern: operation.opFlags), mode_t(operation.length)))
            }
        case ReadinessOpcode.readVector:
            let iovecs = operation.pointer?.assumingMemoryBound(to: iovec.self)
            return retryingInterrupts { preadv(fd, iovecs, Int32(operation.length), offset) }
        case ReadinessOpcode.writeVector:
            let iovecs = operation.pointer?.assumingMemoryBound(to: iovec.self)
            return retryingInterrupts { pwritev(fd, iovecs, Int32(operation.length), offset) }
        case ReadinessOpcode.fsync:
            let dataOnly = operation.opFlags & IORING_FSYNC_DATASYNC != 0
            return retryingInterrupts { Int(dataOnly ? fdatasync(fd) : fsync(fd)) }
        case ReadinessOpcode.statx:
            // `addr` is the path, `len` the mask, `off` (`addr2`) the buffer.
            let path = operation.pointer?.assumingMemoryBound(to: CChar.self)
            let buffer = UnsafeMutablePointer<statx>(bitPattern: UInt(operation.offset))
            return retryingInterrupts {
                Int(cliburing_statx(fd, path, Int32(bitPattern: operation.opFlags), operation.length, buffer))
            }
        default:
            return nil
        }
    }

    /// The call's result, or its negated errno; `EINTR` is retried.
    private func retryingInterrupts(_ call: () -> Int) -> Int32 {
        while true {
            let result = call()
            if result >= 0 { return Int32(truncatingIfNeeded: result) }
            if errno != EINTR { return -errno }
        }
    }
}
