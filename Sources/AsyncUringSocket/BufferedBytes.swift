import AsyncUring

/// The bytes a ``BufferedReader`` received and nobody has read yet, in arrival order.
///
/// A `[UInt8]` with a read index: reading moves the index, and the consumed prefix is
/// dropped (one move of the unread bytes to the front) once it is at least as long as what
/// is left, so each byte is moved a bounded number of times on average. Offsets in this
/// API count from the first unread byte.
///
/// A ``FrameDecoder`` gets the reader's buffer `inout`: it looks at the bytes, and consumes
/// those of the frame it returns.
///
/// Its reading methods are inlinable: a decoder in another module runs them specialized,
/// without a call per byte.
public struct BufferedBytes: Sendable {
    /// Unread bytes are `storage[readIndex...]`.
    @usableFromInline var storage: [UInt8] = []
    @usableFromInline var readIndex = 0

    /// An empty buffer.
    public init() {}

    /// A buffer holding `bytes` (for decoders tested without a connection).
    public init(_ bytes: some Sequence<UInt8>) {
        storage = Array(bytes)
    }

    /// The number of unread bytes.
    @inlinable public var count: Int { storage.count - readIndex }

    /// True when no byte is left to read.
    @inlinable public var isEmpty: Bool { readIndex == storage.count }

    /// The unread byte at `offset` from the first one.
    @inlinable public subscript(offset: Int) -> UInt8 {
        precondition(offset >= 0 && offset < count, "offset \(offset) outside the \(count) buffered bytes")
        return storage[readIndex + offset]
    }

    /// The unread bytes, as a slice of the buffer's storage (its indices are not offsets).
    ///
    /// Let the slice go before consuming: a slice that is still alive when the buffer
    /// changes makes the buffer copy its storage.
    @inlinable public var readableBytes: ArraySlice<UInt8> { storage[readIndex...] }

    /// Calls `body` with the unread bytes; the pointer is valid during the call only.
    @inlinable
    public func withUnsafeReadableBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        let start = readIndex
        return try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start...])) }
    }

    /// The offset of the first occurrence of `delimiter` that starts at or after `offset`.
    @inlinable
    public func firstOffset(of delimiter: some Collection<UInt8>, from offset: Int = 0) -> Int? {
        let delimiterCount = delimiter.count
        guard let first = delimiter.first, count - max(offset, 0) >= delimiterCount else { return nil }
        let start = readIndex + max(offset, 0)
        let readIndex = readIndex
        return storage.withUnsafeBufferPointer { bytes in
            let lastStart = bytes.count - delimiterCount
            var index = start
            while index <= lastStart {
                if bytes[index] == first {
                    var matched = 1
                    var delimiterIndex = delimiter.index(after: delimiter.startIndex)
                    while matched < delimiterCount, bytes[index + matched] == delimiter[delimiterIndex] {
                        matched += 1
                        delimiterIndex = delimiter.index(after: delimiterIndex)
                    }
                    if matched == delimiterCount { return index - readIndex }
                }
                index += 1
            }
            return nil
        }
    }

    /// The first `count` unread bytes, left unread.
    @inlinable
    public func peek(_ count: Int) -> [UInt8] {
        precondition(count >= 0 && count <= self.count, "peek of \(count) of \(self.count) buffered bytes")
        return Array(storage[readIndex..<readIndex + count])
    }

    /// Reads (removes and returns) the first `count` unread bytes.
    @inlinable
    public mutating func read(_ count: Int) -> [UInt8] {
        let bytes = peek(count)
        consume(count)
        return bytes
    }

    /// Reads every unread byte.
    public mutating func readAll() -> [UInt8] {
        read(count)
    }

    /// Drops the first `count` unread bytes.
    @inlinable
    public mutating func consume(_ count: Int) {
        precondition(count >= 0 && count <= self.count, "consume of \(count) of \(self.count) buffered bytes")
        readIndex += count
        if readIndex == storage.count {
            storage.removeAll(keepingCapacity: true)
            readIndex = 0
        }
    }

    /// Appends received bytes (a copy out of the provided buffer, which then goes back).
    @usableFromInline mutating func append(_ bytes: borrowing ReceivedBytes) {
        compactIfWorthIt()
        bytes.withUnsafeBytes { storage.append(contentsOf: $0) }
    }

    /// Appends `bytes`.
    package mutating func append(contentsOf bytes: some Sequence<UInt8>) {
        compactIfWorthIt()
        storage.append(contentsOf: bytes)
    }

    /// Drops the consumed prefix once it is at least as long as the unread rest: moving the
    /// rest then costs no more than the reads that consumed the prefix.
    private mutating func compactIfWorthIt() {
        guard readIndex > 0, readIndex >= storage.count - readIndex else { return }
        storage.removeSubrange(0..<readIndex)
        readIndex = 0
    }

    /// The bytes the storage holds, consumed prefix included (for tests of the compaction).
    package var storageCount: Int { storage.count }
}
