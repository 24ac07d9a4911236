import AsyncUringHTTP
import NIOCore

/// A request body as Hummingbird reads it: the server's byte arrays, each copied into a
/// `ByteBuffer` as it is read. Reading stays lazy, so the peer is slowed by a slow reader
/// as with the server's own ``HTTPRequestBody``.
struct RequestBodyBuffers: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    typealias Failure = any Error

    let body: HTTPRequestBody

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: body.makeAsyncIterator())
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: HTTPRequestBody.AsyncIterator

        mutating func next() async throws -> ByteBuffer? {
            guard let bytes = try await base.next() else { return nil }
            return ByteBuffer(bytes: bytes)
        }
    }
}
