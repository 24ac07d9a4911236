/// Cuts a byte stream into frames, for ``BufferedReader/read(using:timeout:)``.
///
/// `decode(_:)` looks at the buffered bytes and either returns a frame, having consumed
/// the frame's bytes, or returns nil for "need more bytes" (consuming nothing, or only
/// bytes it keeps track of in its own state). The reader then receives more and calls it
/// again with everything buffered, so a decoder that keeps no state may parse from the
/// start each time.
///
/// ```swift
/// /// A 4-byte big-endian length, then that many bytes.
/// struct LengthPrefixed: FrameDecoder {
///     func decode(_ buffer: inout BufferedBytes) throws -> [UInt8]? {
///         guard buffer.count >= 4 else { return nil }
///         let length = buffer.peek(4).reduce(0) { $0 << 8 | Int($1) }
///         guard buffer.count >= 4 + length else { return nil }
///         buffer.consume(4)
///         return buffer.read(length)
///     }
/// }
/// ```
public protocol FrameDecoder {
    /// What one frame decodes to.
    associatedtype Frame

    /// Decodes the frame at the start of `buffer`.
    ///
    /// - Parameter buffer: the reader's unread bytes (never empty); consume the frame's bytes.
    /// - Returns: the frame, or nil when more bytes are needed.
    /// - Throws: when the bytes cannot be a frame: the reader throws it on to its caller.
    mutating func decode(_ buffer: inout BufferedBytes) throws -> Frame?
}

extension BufferedReader {
    /// Reads the next frame of `decoder`, receiving as often as it needs more bytes.
    ///
    /// - Parameters:
    ///   - decoder: cuts the frames; `inout`, so it may keep state across calls.
    ///   - timeout: bounds the whole call, as for ``read(exactly:timeout:)``.
    /// - Returns: the frame, or nil when the stream ended with nothing buffered.
    /// - Throws: what the decoder throws; ``SocketError`` with `ECONNRESET` when the stream
    ///   ends within a frame, `EMSGSIZE` when the buffer is full without a frame; as
    ///   ``fill(timeout:)``.
    public mutating func read<Decoder: FrameDecoder>(
        using decoder: inout Decoder,
        timeout: Duration? = nil
    ) async throws -> Decoder.Frame? {
        let deadline = ReadDeadline(timeout)
        while true {
            if let frame = try decodeBuffered(using: &decoder) { return frame }
            guard try await fill(timeout: deadline.remaining()) else {
                if bufferedBytes.isEmpty { return nil }
                throw Self.endOfStream("within a frame, \(bufferedBytes.count) bytes buffered")
            }
        }
    }

    /// Decodes the next frame from the bytes already buffered, without receiving.
    ///
    /// A server answering pipelined requests calls this until it returns nil, collecting
    /// the replies, sends them in one go, then ``fill(timeout:)``s.
    ///
    /// - Returns: the frame, or nil when the buffered bytes hold no whole frame.
    /// - Throws: what the decoder throws.
    @inlinable
    public mutating func decodeBuffered<Decoder: FrameDecoder>(using decoder: inout Decoder) throws -> Decoder.Frame? {
        guard !bufferedBytes.isEmpty else { return nil }
        return try decoder.decode(&bufferedBytes)
    }

    /// The frames of `decoder`, as an asynchronous sequence that ends at end of stream.
    ///
    /// The sequence takes over the reader (and the bytes it buffered).
    ///
    /// ```swift
    /// for try await frame in connection.reader().frames(LengthPrefixed()) {
    ///     try await connection.send(frame)
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - decoder: cuts the frames.
    ///   - timeout: bounds the wait for each frame.
    public consuming func frames<Decoder: FrameDecoder>(
        _ decoder: Decoder,
        timeout: Duration? = nil
    ) -> FrameSequence<Source, Decoder> {
        FrameSequence(reader: self, decoder: decoder, timeout: timeout)
    }
}

/// The frames a ``FrameDecoder`` cuts out of a stream: see ``BufferedReader/frames(_:timeout:)``.
///
/// Iterate it once: each iterator reads from its own copy of the reader.
public struct FrameSequence<Source: ByteStreamSource, Decoder: FrameDecoder>: AsyncSequence {
    public typealias Element = Decoder.Frame
    public typealias Failure = any Error

    let reader: BufferedReader<Source>
    let decoder: Decoder
    let timeout: Duration?

    public func makeAsyncIterator() -> Iterator {
        Iterator(reader: reader, decoder: decoder, timeout: timeout)
    }

    /// Reads the frames one by one.
    public struct Iterator: AsyncIteratorProtocol {
        var reader: BufferedReader<Source>
        var decoder: Decoder
        let timeout: Duration?

        /// The next frame, or nil at end of stream.
        /// - Throws: as ``BufferedReader/read(using:timeout:)``.
        public mutating func next() async throws -> Decoder.Frame? {
            try await reader.read(using: &decoder, timeout: timeout)
        }
    }
}

extension FrameSequence: Sendable where Decoder: Sendable {}
extension FrameSequence.Iterator: Sendable where Decoder: Sendable {}
