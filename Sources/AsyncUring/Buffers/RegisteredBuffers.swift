import Synchronization

/// Buffers registered with a ring (`io_uring_register_buffers`): the kernel pins their pages
/// once, so a read into one or a write from one (`IORING_OP_READ_FIXED`,
/// `IORING_OP_WRITE_FIXED`) skips mapping the caller's memory on every request.
///
/// ```swift
/// let buffers = try await ring.registerFileBuffers(count: 8, size: 4096)
/// let count = try await file.read(into: buffers, index: 3, at: 8192)
/// let bytes = buffers[3].bytes(in: 0..<count)
/// await buffers.unregister()
/// ```
///
/// Ownership: the set owns its ``AlignedBuffer``s; the caller picks one by index for each
/// request and reads or writes its bytes between requests. A request retains the buffer and
/// the set in its operation's state until the kernel's final completion: a call cancelled
/// mid-operation loses nothing and frees nothing under the kernel, and the buffer is the
/// caller's again once the call returned or threw. Two requests in flight on one buffer at
/// once is a programming error (their bytes would mix). The buffers are page-aligned, so
/// they also serve direct I/O (`O_DIRECT`).
///
/// A ring holds one registered set at a time. ``unregister()`` (or the last reference going
/// away) unregisters it; the memory is freed after that. On the epoll driver the
/// registration is bookkeeping only and the requests are `pread`/`pwrite` into the same
/// memory, with the same results.
public final class RegisteredBuffers: Sendable {
    /// The ring the buffers are registered with; only its requests may use them.
    public let ring: Ring
    /// The buffers, each ``size`` bytes, page-aligned.
    public let buffers: [AlignedBuffer]
    /// The bytes in each buffer.
    public let size: Int
    let serial: UInt64
    private let registered = Atomic<Bool>(true)

    private static let serials = Atomic<UInt64>(0)

    init(ring: Ring, count: Int, size: Int) {
        self.ring = ring
        self.size = size
        buffers = (0..<count).map { _ in AlignedBuffer(count: size, alignment: 4096) }
        serial = Self.serials.add(1, ordering: .relaxed).newValue
    }

    deinit {
        guard registered.load(ordering: .acquiring) else { return }
        // No request is in flight (requests retain the set); the buffers stay allocated until
        // the ring unregistered them.
        ring.execute { [ring, serial, buffers] in
            ring.unregisterFileBuffers(serial: serial)
            withExtendedLifetime(buffers) {}
        }
    }

    /// The number of buffers.
    public var count: Int { buffers.count }

    /// The buffer at `index`.
    public subscript(index: Int) -> AlignedBuffer { buffers[index] }

    /// Whether the buffers are still registered.
    public var isRegistered: Bool { registered.load(ordering: .acquiring) }

    /// Unregisters the buffers from the ring; requests already submitted keep theirs (the
    /// kernel keeps the pages of a request in flight). Later requests with them fail with
    /// `EBADF`. Calling it again does nothing.
    public func unregister() async {
        guard registered.exchange(false, ordering: .acquiringAndReleasing) else { return }
        _ = try? await ring.run { [ring, serial] in ring.unregisterFileBuffers(serial: serial) }
    }
}
