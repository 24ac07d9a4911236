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
    // The kernel does not write into a buffer it was not given back, so the bytes stay as
    // they are for as long as this value holds the buffer.
    private let buffers: ProvidedBuffers
    private let ring: Ring
    private let id: UInt16
    private let start: Int
    /// The number of bytes (at least 1).
    public let count: Int

    init(buffers: ProvidedBuffers, ring: Ring, id: UInt16, start: Int, count: Int) {
        self.buffers = buffers
        self.ring = ring
        self.id = id
        self.start = start
        self.count = count
    }

    deinit {
        if ring.isCurrentThread { return buffers.recycle(id) }
        let (buffers, id) = (self.buffers, self.id)
        ring.execute { buffers.recycle(id) }
    }

    /// Calls `body` with the bytes; the pointer is valid during the call only.
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeRawBufferPointer(start: baseAddress, count: count))
    }

    /// The first byte; valid while this value lives.
    package var baseAddress: UnsafeRawPointer {
        UnsafeRawPointer(buffers.buffer(id) + start)
    }
}

extension Array where Element == UInt8 {
    /// A copy of `received`'s bytes.
    public init(_ received: borrowing ReceivedBytes) {
        self = received.withUnsafeBytes { Array($0) }
    }
}
