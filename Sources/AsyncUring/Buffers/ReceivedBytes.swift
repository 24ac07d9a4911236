/// Received bytes, still in the provided buffer the kernel put them in: nothing was copied.
///
/// The buffer is lent out of the ring's provided buffer ring, which every connection of the
/// ring receives into, and goes back when this value ends (sent, or dropped). Hold it for
/// the time it takes to look at or forward the bytes: a ring has
/// ``RingConfiguration/receiveBufferCount`` buffers in all, and receives that find none wait
/// until some come back.
///
/// It may be read, sent or dropped on any thread; the buffer always goes back on its ring's
/// thread, and its memory stays mapped while the value lives, even after the ring stopped.
public struct ReceivedBytes: ~Copyable, @unchecked Sendable {
    /// The buffer; nil once handed over with ``takeLease()``.
    private var lease: BufferLease?
    /// The number of bytes (at least 1).
    public let count: Int

    init(buffers: ProvidedBuffers, ring: Ring, id: UInt16, start: Int, count: Int) {
        self.lease = BufferLease(buffers: buffers, ring: ring, id: id, start: start)
        self.count = count
    }

    deinit {
        lease?.release()
    }

    /// Calls `body` with the bytes; the pointer is valid during the call only.
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeRawBufferPointer(start: baseAddress, count: count))
    }

    /// The first byte; valid while this value lives.
    package var baseAddress: UnsafeRawPointer {
        lease!.baseAddress
    }

    /// Hands the buffer over to a holder that gives it back with ``BufferLease/release()``
    /// once done with the bytes (a send queue that holds them until the kernel took them).
    package consuming func takeLease() -> BufferLease {
        lease.take()!
    }
}

/// A provided buffer lent out of its ring, given back by ``release()`` exactly once (on the
/// ring's thread, whichever thread calls it). ``ReceivedBytes`` wraps one.
///
/// The kernel does not write into a buffer it was not given back, so the bytes stay as they
/// are until the release.
package struct BufferLease: @unchecked Sendable {
    private let buffers: ProvidedBuffers
    private let ring: Ring
    private let id: UInt16
    private let start: Int

    init(buffers: ProvidedBuffers, ring: Ring, id: UInt16, start: Int) {
        self.buffers = buffers
        self.ring = ring
        self.id = id
        self.start = start
    }

    /// The first byte; valid until ``release()``. The mapping stays while this value lives,
    /// even after the ring stopped.
    package var baseAddress: UnsafeRawPointer {
        UnsafeRawPointer(buffers.buffer(id) + start)
    }

    /// Gives the buffer back to its ring.
    package func release() {
        if ring.isCurrentThread { return buffers.recycle(id) }
        let (buffers, id) = (self.buffers, self.id)
        ring.execute { buffers.recycle(id) }
    }
}

extension Array where Element == UInt8 {
    /// A copy of `received`'s bytes.
    public init(_ received: borrowing ReceivedBytes) {
        self = received.withUnsafeBytes { Array($0) }
    }
}
