import AsyncUring

/// Bytes read by ``BufferedReader/readChunk(timeout:)``: the reader's buffered bytes, or the
/// next received bytes, lent uncopied.
public enum ByteChunk: ~Copyable, Sendable {
    /// Bytes that were buffered in the reader.
    case buffered([UInt8])
    /// Bytes still in the provided buffer the kernel received into: nothing was copied.
    /// Let them go soon (send them, or drop them), as `ReceivedBytes` says.
    case received(ReceivedBytes)

    /// The number of bytes (at least 1).
    public var count: Int {
        switch self {
        case .buffered(let bytes): bytes.count
        case .received(let bytes): bytes.count
        }
    }

    /// Calls `body` with the bytes; the pointer is valid during the call only.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        switch self {
        case .buffered(let bytes): try bytes.withUnsafeBytes(body)
        case .received(let bytes): try bytes.withUnsafeBytes(body)
        }
    }
}

extension BufferedReader {
    /// Reads whatever comes next, copying nothing that was not copied already: the buffered
    /// bytes when there are any, else the next received bytes in their provided buffer.
    ///
    /// For a protocol that switches from framed to streamed bytes (a body to forward, an
    /// upgrade): after the frames, the rest of the stream goes through without a copy.
    ///
    /// ```swift
    /// while let chunk = try await reader.readChunk() {
    ///     switch consume chunk {
    ///     case .buffered(let bytes): try await upstream.send(bytes)
    ///     case .received(let bytes): try await upstream.send(bytes)
    ///     }
    /// }
    /// ```
    ///
    /// The corresponding io_uring operation is the multishot `IORING_OP_RECV` of
    /// ``TCPConnection/receiveBytes(timeout:)``.
    ///
    /// - Parameter timeout: throws `ETIMEDOUT` when nothing is buffered and nothing arrives
    ///   within it.
    /// - Returns: at least one byte, or nil at end of stream with nothing buffered.
    /// - Throws: as ``fill(timeout:)`` (never `EMSGSIZE`).
    public mutating func readChunk(timeout: Duration? = nil) async throws -> ByteChunk? {
        if !bufferedBytes.isEmpty { return .buffered(bufferedBytes.readAll()) }
        guard !sourceEnded else { return nil }
        guard let received = try await source.receiveBytes(timeout: timeout) else {
            sourceEnded = true
            return nil
        }
        return .received(received)
    }
}
