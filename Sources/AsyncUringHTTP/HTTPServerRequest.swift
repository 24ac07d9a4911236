import AsyncUringSocket
import HTTPTypes

/// A request as a handler sees it: the head as a swift-http-types `HTTPRequest`, and its
/// body as a stream of byte arrays read from the connection as the handler asks for them.
public struct HTTPServerRequest: Sendable {
    /// Method, scheme (`http`), authority (the `Host` field, taken out of the fields), path
    /// and header fields.
    public var head: HTTPRequest
    /// The body; empty when the request has none.
    public var body: HTTPRequestBody
    let connection: HTTPConnectionContext

    /// The peer's address, or nil when the connection is gone.
    public var remoteAddress: SocketAddress? { try? connection.connection.remoteAddress }
}

/// A request's body: the bytes as they arrive, without holding the body whole.
///
/// Read it within the handler (or within the writer of a streamed response): the
/// connection reads only as the body is read, so a slow reader slows the peer
/// (backpressure). A body the handler leaves unread is skipped before the next request when
/// it is already buffered; otherwise the connection closes after the response.
///
/// The sequence can be iterated once. For a request with `Expect: 100-continue`, the first
/// read sends `100 Continue`.
public struct HTTPRequestBody: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    public typealias Failure = any Error

    let connection: HTTPConnectionContext?
    let generation: Int

    /// Trailer fields of a chunked body, once it was read to its end.
    public var trailers: HTTPFields? {
        guard let connection, connection.requestGeneration == generation else { return nil }
        return connection.trailers
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(connection: connection, generation: generation)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let connection: HTTPConnectionContext?
        let generation: Int

        /// The next bytes of the body, or nil at its end.
        ///
        /// - Throws: ``HTTPRequestError`` for a malformed chunked body or one over the size
        ///   limit; `SocketError` (`ECONNRESET` when the peer closes within the body,
        ///   `ETIMEDOUT` after the server's body timeout); `EBADF` when read after the
        ///   response finished.
        public mutating func next() async throws -> [UInt8]? {
            guard let connection else { return nil }
            return try await connection.nextBodyPart(generation: generation)
        }
    }

    /// The whole body, at most `maxBytes` of it.
    ///
    /// - Throws: ``HTTPRequestError`` with `bodyTooLarge` (413) when it is longer; as the
    ///   iterator's `next()`.
    public func collect(upTo maxBytes: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await part in self {
            guard bytes.count + part.count <= maxBytes else { throw HTTPRequestError(.bodyTooLarge) }
            bytes.append(contentsOf: part)
        }
        return bytes
    }
}
