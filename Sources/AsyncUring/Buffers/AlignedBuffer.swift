/// Bytes at an address that is a multiple of an alignment, as direct I/O (`O_DIRECT`) and
/// registered buffers need them: the caller's memory a file read fills or a file write takes.
///
/// ```swift
/// let buffer = AlignedBuffer(count: 4096, alignment: 512)
/// buffer.copyBytes(from: Array("header".utf8))
/// let header = buffer.bytes(in: 0..<6)
/// ```
///
/// One allocation, zeroed, freed when the last reference goes. A request that reads into or
/// writes from the buffer retains it until the kernel's final completion, so the memory never
/// goes away under the kernel, also when the awaiting task is cancelled. While a request on
/// the buffer is in flight, its caller is suspended; other tasks must not touch the bytes
/// meanwhile (the kernel writes them without telling Swift), which is why sharing one buffer
/// between tasks that use it at once is a programming error, as with any memory given to
/// `pread`.
public final class AlignedBuffer: @unchecked Sendable {
    /// The number of bytes.
    public let count: Int
    /// The alignment of the first byte's address, a power of two.
    public let alignment: Int
    // SAFETY: allocated in init with `alignment`, freed in deinit; requests that point the
    // kernel at it retain this object until their final completion.
    package let base: UnsafeMutableRawPointer

    /// Allocates `count` zeroed bytes whose address is a multiple of `alignment`.
    ///
    /// - Parameters:
    ///   - count: The number of bytes, 0 or more.
    ///   - alignment: A power of two; 4096 (a page) suits direct I/O on every device.
    public init(count: Int, alignment: Int = 4096) {
        precondition(count >= 0, "a buffer of \(count) bytes")
        precondition(alignment > 0 && alignment & (alignment - 1) == 0, "an alignment of \(alignment) bytes")
        self.count = count
        self.alignment = alignment
        base = .allocate(byteCount: max(count, 1), alignment: alignment)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1))
    }

    deinit {
        base.deallocate()
    }

    /// The byte at `index`.
    public subscript(index: Int) -> UInt8 {
        get {
            precondition(index >= 0 && index < count, "index \(index) out of a buffer of \(count) bytes")
            return base.load(fromByteOffset: index, as: UInt8.self)
        }
        set {
            precondition(index >= 0 && index < count, "index \(index) out of a buffer of \(count) bytes")
            base.storeBytes(of: newValue, toByteOffset: index, as: UInt8.self)
        }
    }

    /// A copy of the bytes in `range`.
    public func bytes(in range: Range<Int>) -> [UInt8] {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range \(range) out of \(count) bytes")
        return withUnsafeBytes { Array($0[range]) }
    }

    /// Copies `bytes` into the buffer from `offset` on.
    public func copyBytes(from bytes: some Collection<UInt8>, at offset: Int = 0) {
        precondition(
            offset >= 0 && offset + bytes.count <= count,
            "\(bytes.count) bytes at \(offset) overflow \(count)"
        )
        withUnsafeMutableBytes { buffer in
            UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<(offset + bytes.count)]).copyBytes(from: bytes)
        }
    }

    /// Calls `body` with the bytes, for reading.
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Calls `body` with the bytes, for writing.
    public func withUnsafeMutableBytes<Result, Failure: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeMutableRawBufferPointer(start: base, count: count))
    }

    /// Whether the address `offset` bytes in is a multiple of `alignment`.
    public func isAligned(at offset: Int = 0, to alignment: Int) -> Bool {
        Int(bitPattern: base + offset) % alignment == 0
    }
}
