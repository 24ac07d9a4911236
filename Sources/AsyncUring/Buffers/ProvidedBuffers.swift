internal import CLiburing
import Glibc

/// A provided buffer ring (`IORING_REGISTER_PBUF_RING`): receives submitted with
/// `IOSQE_BUFFER_SELECT` take a buffer from it when data arrives, so an idle connection
/// holds no receive buffer. A buffer goes back as soon as its bytes were copied out, or when
/// the ``ReceivedBytes`` it was lent as ends.
///
/// Guarded by: ring thread. Other threads only hold references (a lent buffer's memory stays
/// mapped until the last one goes), so the mappings outlive the ring's registration.
final class ProvidedBuffers: @unchecked Sendable {
    static let groupID: UInt16 = 1
    let count: UInt16
    let bufferSize: UInt32
    /// The driver the buffer ring is registered with, until ``unregister()``.
    @exclusivity(unchecked) private var ring: RawRing?
    // SAFETY: both mappings are owned here and unmapped in deinit, after the buffer ring was
    // unregistered; the kernel only writes into buffers it took from the ring, and they are
    // handed back before reuse.
    private let bufferRing: UnsafeMutablePointer<io_uring_buf_ring>
    private let storage: UnsafeMutableRawPointer
    private let mask: Int32
    /// Buffers in the ring as far as completions tell.
    @exclusivity(unchecked) private(set) var available: Int
    /// Cleared by ``unregister()``; buffers that come back later stay out of the kernel's use.
    private var isRegistered: Bool { ring != nil }

    init?(ring: RawRing, count: UInt16, bufferSize: UInt32) {
        precondition(count > 0 && count & (count - 1) == 0, "provided buffer count must be a power of two")
        let ringBytes = Int(count) * MemoryLayout<io_uring_buf>.stride
        guard let mapped = mmap(nil, ringBytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0),
            mapped != MAP_FAILED
        else { return nil }
        guard ring.registerBufferRing(mapped, entries: count, groupID: Self.groupID) == 0 else {
            munmap(mapped, ringBytes)
            return nil
        }
        let storageBytes = Int(count) * Int(bufferSize)
        guard let data = mmap(nil, storageBytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0),
            data != MAP_FAILED
        else {
            ring.unregisterBufferRing(groupID: Self.groupID)
            munmap(mapped, ringBytes)
            return nil
        }
        self.ring = ring
        self.count = count
        self.bufferSize = bufferSize
        self.bufferRing = mapped.assumingMemoryBound(to: io_uring_buf_ring.self)
        self.storage = data
        self.mask = io_uring_buf_ring_mask(UInt32(count))
        self.available = Int(count)
        io_uring_buf_ring_init(bufferRing)
        for id in 0..<count {
            io_uring_buf_ring_add(bufferRing, buffer(id), bufferSize, id, mask, Int32(id))
        }
        io_uring_buf_ring_advance(bufferRing, Int32(count))
    }

    deinit {
        precondition(!isRegistered, "a provided buffer ring was released while registered")
        munmap(storage, Int(count) * Int(bufferSize))
        munmap(UnsafeMutableRawPointer(bufferRing), Int(count) * MemoryLayout<io_uring_buf>.stride)
    }

    /// Takes the buffer ring from the kernel; call it before the ring is freed.
    func unregister() {
        guard let ring else { return }
        self.ring = nil
        ring.unregisterBufferRing(groupID: Self.groupID)
    }

    func buffer(_ id: UInt16) -> UnsafeMutableRawPointer {
        storage + Int(id) * Int(bufferSize)
    }

    /// The bytes a completion put into buffer `id`.
    func bytes(_ id: UInt16, count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: buffer(id), count: count)
    }

    /// Notes that a completion took a buffer.
    func taken() {
        available -= 1
    }

    /// Gives buffer `id` back to the kernel.
    func recycle(_ id: UInt16) {
        guard isRegistered else { return }
        io_uring_buf_ring_add(bufferRing, buffer(id), bufferSize, id, mask, 0)
        io_uring_buf_ring_advance(bufferRing, 1)
        available += 1
    }
}
