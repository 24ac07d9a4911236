import Glibc
import SystemPackage

extension Ring {
    /// Registers `count` buffers of `size` bytes each with this ring
    /// (`io_uring_register_buffers`), for file reads and writes by index.
    ///
    /// The kernel pins the buffers' pages at registration, which then costs nothing per
    /// request. See ``RegisteredBuffers`` for the ownership rules.
    ///
    /// - Parameters:
    ///   - count: How many buffers, 1 to 16384.
    ///   - size: The bytes in each, 1 to 1 GiB; a multiple of 4096 suits direct I/O.
    /// - Returns: The registered set.
    /// - Throws: ``RingError``: `EBUSY` when the ring has a registered set already,
    ///   `EINVAL` for a count or size out of range, `ENOMEM` when `RLIMIT_MEMLOCK` is too
    ///   small for the pinned pages; `CancellationError` when the ring stopped.
    public func registerFileBuffers(count: Int, size: Int) async throws -> RegisteredBuffers {
        guard (1...16384).contains(count), (1...(1 << 30)).contains(size) else {
            throw RingError(
                operation: "io_uring_register_buffers",
                errno: .invalidArgument,
                detail: "\(count) buffers of \(size) bytes: 1 to 16384 buffers of 1 byte to 1 GiB"
            )
        }
        let buffers = RegisteredBuffers(ring: self, count: count, size: size)
        let result = try await run { () -> Int32 in
            if registeredFileBuffers != nil { return -EBUSY }
            let result = raw.registerBuffers(buffers.buffers.map { ($0.base, $0.count) })
            if result == 0 { registeredFileBuffers = buffers.serial }
            return result
        }
        guard result == 0 else {
            // Nothing to unregister: drop the set without a deferred unregistration.
            await buffers.unregister()
            let detail = result == -EBUSY ? "the ring has a registered buffer set already" : nil
            throw RingError(operation: "io_uring_register_buffers", errno: Errno(rawValue: -result), detail: detail)
        }
        return buffers
    }

    /// Unregisters the set with `serial` if it is the one registered. Ring thread.
    func unregisterFileBuffers(serial: UInt64) {
        guard isCurrentThread, registeredFileBuffers == serial else { return }
        registeredFileBuffers = nil
        raw.unregisterBuffers()
    }
}
