import AsyncUring

/// Reads a byte stream in the units a protocol needs: exact counts, delimited lines, or the
/// frames of a ``FrameDecoder``, from a buffer it owns and grows.
///
/// Make one with ``ByteStreamSource/reader(maxBufferSize:)`` and keep it in a `var`: its
/// methods are `mutating`. A copy has its own buffer, so read through one reader only.
///
/// ```swift
/// var reader = connection.reader()
/// while let line = try await reader.read(until: Array("\r\n".utf8), maxLength: 1024) {
///     try await connection.send(line + Array("\r\n".utf8))
/// }
/// ```
///
/// Nothing is lost to cancellation or timeouts: each receive's bytes are appended to the
/// buffer as soon as the receive returns, before the next suspension point, and a read
/// consumes them only when it returns. A read that throws `CancellationError` or
/// `ETIMEDOUT` after part of what it needs arrived leaves that part buffered for the next
/// read.
///
/// Bytes are copied once, from the provided buffer the kernel received into to this
/// buffer, and those buffers go back to the ring at once. ``readChunk(timeout:)`` skips
/// that copy when nothing is buffered.
///
/// The corresponding io_uring operation is the multishot `IORING_OP_RECV` of the source (see
/// ``TCPConnection/receiveBytes(timeout:)``).
public struct BufferedReader<Source: ByteStreamSource>: Sendable {
    /// Where the bytes come from.
    public let source: Source
    /// The most bytes the buffer holds before a read that needs more fails with `EMSGSIZE`.
    public let maxBufferSize: Int
    /// The received bytes not read yet.
    public var buffer: BufferedBytes { bufferedBytes }
    @usableFromInline var bufferedBytes = BufferedBytes()
    /// The source reported end of stream: it is not asked again.
    public var isAtEnd: Bool { sourceEnded }
    @usableFromInline var sourceEnded = false

    /// A reader of `source`; see ``ByteStreamSource/reader(maxBufferSize:)``.
    public init(_ source: Source, maxBufferSize: Int = BufferedReader.defaultMaxBufferSize) {
        precondition(maxBufferSize > 0, "maxBufferSize must be positive, not \(maxBufferSize)")
        self.source = source
        self.maxBufferSize = maxBufferSize
    }

    /// 1 MiB.
    public static var defaultMaxBufferSize: Int { 1 << 20 }

    /// Receives once more and appends what arrived to the buffer.
    ///
    /// One receive may add up to a provided buffer's size (`RingConfiguration.receiveBufferSize`),
    /// so the buffer may end up holding somewhat more than ``maxBufferSize``; it is a fill
    /// that starts with the buffer full that fails.
    ///
    /// - Parameter timeout: throws `ETIMEDOUT` when nothing arrives within it; nil waits as
    ///   long as the source's default allows.
    /// - Returns: false at end of stream (and from then on), else true.
    /// - Throws: ``SocketError`` with `EMSGSIZE` when the buffer already holds
    ///   ``maxBufferSize`` bytes; what the source's receive throws (`ETIMEDOUT`,
    ///   `ECONNRESET`, `CancellationError`, ...). The buffer is unchanged when it throws.
    @inlinable @discardableResult
    public mutating func fill(timeout: Duration? = nil) async throws -> Bool {
        guard !sourceEnded else { return false }
        guard bufferedBytes.count < maxBufferSize else {
            throw Self.bufferFull(bufferedBytes.count)
        }
        // No suspension point between the receive's return and the append: a cancelled or
        // timed-out read never drops bytes it had already taken.
        guard let received = try await source.receiveBytes(timeout: timeout) else {
            sourceEnded = true
            return false
        }
        bufferedBytes.append(received)
        return true
    }

    /// Reads exactly `count` bytes.
    ///
    /// - Parameters:
    ///   - count: how many; at most ``maxBufferSize``.
    ///   - timeout: bounds the whole call: throws `ETIMEDOUT` when the bytes are not all
    ///     there within it. Those that arrived stay buffered.
    /// - Throws: ``SocketError`` with `ECONNRESET` when the stream ends before `count` bytes
    ///   (what arrived stays buffered), `EMSGSIZE` when `count` exceeds ``maxBufferSize``;
    ///   as ``fill(timeout:)``.
    public mutating func read(exactly count: Int, timeout: Duration? = nil) async throws -> [UInt8] {
        try await waitForBytes(count, timeout: timeout)
        return bufferedBytes.read(count)
    }

    /// The next `count` bytes, left unread: waits until that many are buffered.
    ///
    /// - Parameters:
    ///   - count: how many; at most ``maxBufferSize``.
    ///   - timeout: bounds the whole call, as for ``read(exactly:timeout:)``.
    /// - Throws: as ``read(exactly:timeout:)``.
    public mutating func peek(_ count: Int, timeout: Duration? = nil) async throws -> [UInt8] {
        try await waitForBytes(count, timeout: timeout)
        return bufferedBytes.peek(count)
    }

    /// Fills until `count` bytes are buffered.
    private mutating func waitForBytes(_ count: Int, timeout: Duration?) async throws {
        precondition(count >= 0, "cannot read \(count) bytes")
        guard count <= maxBufferSize else {
            throw SocketError(.receive, .messageTooLong, detail: "\(count) bytes exceed the reader's \(maxBufferSize)")
        }
        let deadline = ReadDeadline(timeout)
        while bufferedBytes.count < count {
            guard try await fill(timeout: deadline.remaining()) else {
                throw Self.endOfStream("after \(bufferedBytes.count) of \(count) bytes")
            }
        }
    }

    /// Reads up to `delimiter` (a line, with `"\r\n"` or `"\n"`).
    ///
    /// - Parameters:
    ///   - delimiter: the bytes that end the unit; consumed, not returned.
    ///   - maxLength: the most bytes before the delimiter.
    ///   - timeout: bounds the whole call, as for ``read(exactly:timeout:)``.
    /// - Returns: the bytes before the delimiter, or nil when the stream ended with nothing
    ///   buffered.
    /// - Throws: ``SocketError`` with `EMSGSIZE` when `maxLength` bytes arrived without the
    ///   delimiter, `ECONNRESET` when the stream ends within a unit (its bytes stay
    ///   buffered); as ``fill(timeout:)``.
    public mutating func read(
        until delimiter: [UInt8],
        maxLength: Int,
        timeout: Duration? = nil
    ) async throws -> [UInt8]? {
        precondition(!delimiter.isEmpty, "empty delimiter")
        precondition(maxLength >= 0, "negative maxLength \(maxLength)")
        let deadline = ReadDeadline(timeout)
        // Bytes already searched are not searched again when more arrive.
        var searched = 0
        while true {
            if let offset = bufferedBytes.firstOffset(of: delimiter, from: searched), offset <= maxLength {
                let unit = bufferedBytes.read(offset)
                bufferedBytes.consume(delimiter.count)
                return unit
            }
            guard bufferedBytes.count < maxLength + delimiter.count else {
                throw SocketError(.receive, .messageTooLong, detail: "no delimiter within \(maxLength) bytes")
            }
            searched = max(0, bufferedBytes.count - delimiter.count + 1)
            guard try await fill(timeout: deadline.remaining()) else {
                if bufferedBytes.isEmpty { return nil }
                throw Self.endOfStream("within a unit of \(bufferedBytes.count) bytes without its delimiter")
            }
        }
    }

    /// Reads up to `delimiter`, as ``read(until:maxLength:timeout:)-([UInt8],_,_)``.
    public mutating func read(
        until delimiter: UInt8,
        maxLength: Int,
        timeout: Duration? = nil
    ) async throws -> [UInt8]? {
        try await read(until: [delimiter], maxLength: maxLength, timeout: timeout)
    }

    /// Takes every buffered byte (possibly none), without receiving.
    public mutating func readBuffered() -> [UInt8] {
        bufferedBytes.readAll()
    }

    /// The error of a fill that finds the buffer full.
    @usableFromInline static func bufferFull(_ count: Int) -> SocketError {
        SocketError(.receive, .messageTooLong, detail: "buffer full at \(count) bytes")
    }

    /// The error of a stream that ended within a unit.
    static func endOfStream(_ detail: String) -> SocketError {
        SocketError(.receive, .connectionReset, detail: "end of stream \(detail)")
    }
}

extension ByteStreamSource {
    /// A reader of this source's bytes, with a buffer of at most `maxBufferSize` bytes.
    ///
    /// - Parameter maxBufferSize: the most bytes buffered before a read that needs more
    ///   fails with `EMSGSIZE`; bounds what one peer can make the process hold.
    public func reader(maxBufferSize: Int = BufferedReader<Self>.defaultMaxBufferSize) -> BufferedReader<Self> {
        BufferedReader(self, maxBufferSize: maxBufferSize)
    }
}

/// When a read that may receive several times must end.
struct ReadDeadline {
    private let instant: ContinuousClock.Instant?

    init(_ timeout: Duration?) {
        instant = timeout.map { ContinuousClock.now + $0 }
    }

    /// The time left for the next receive; nil for none given.
    /// - Throws: ``SocketError`` with `ETIMEDOUT` once it passed.
    func remaining() throws -> Duration? {
        guard let instant else { return nil }
        let left = instant - ContinuousClock.now
        guard left > .zero else { throw SocketError(.receive, .timedOut, detail: "read deadline passed") }
        return left
    }
}
