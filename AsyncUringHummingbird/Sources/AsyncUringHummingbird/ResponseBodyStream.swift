import AsyncUringHTTP
import Hummingbird
import NIOCore

/// Lends the server's ``HTTPResponseBodyWriter`` to a Hummingbird `ResponseBody` while it
/// writes a streamed body.
///
/// The server's writer is `~Copyable`; a Hummingbird `ResponseBodyWriter` must be copyable (it
/// is passed as `any ResponseBodyWriter` and consumed). So the writer moves into this class for
/// the time of the write, the Hummingbird side holds a reference to it, and the writer moves
/// back to the server, trailers set, when the body is written.
///
/// `@unchecked Sendable`: Hummingbird's `ResponseBody.write(_:)` is not isolated to its caller,
/// so the writer is handed to it as if to another context; yet one task uses this object, one
/// call after the other: the task that writes the response, on the connection's ring thread.
final class ResponseBodyStream: @unchecked Sendable {
    private var writer: HTTPResponseBodyWriter?

    private init(_ writer: consuming HTTPResponseBodyWriter) {
        self.writer = consume writer
    }

    /// The streamed body of `body`, written through the server's writer.
    static func makeBody(_ body: ResponseBody, length: Int?) -> HTTPResponseBody {
        .stream(length: length) { (writer: inout HTTPResponseBodyWriter) in
            let stream = ResponseBodyStream(writer)
            do {
                try await body.write(Writer(stream: stream))
            } catch {
                writer = stream.take()
                throw error
            }
            writer = stream.take()
        }
    }

    private func take() -> HTTPResponseBodyWriter {
        guard let writer = writer.take() else { preconditionFailure("the response body writer was taken twice") }
        return writer
    }

    private func write(_ buffer: ByteBuffer) async throws {
        guard buffer.readableBytes > 0 else { return }
        try await writer?.write(Array(buffer.readableBytesView))
    }

    private func finish(trailers: HTTPFields?) {
        writer?.trailers = trailers
    }

    /// The `ResponseBodyWriter` handed to Hummingbird.
    struct Writer: ResponseBodyWriter {
        let stream: ResponseBodyStream

        mutating func write(_ buffer: ByteBuffer) async throws {
            try await stream.write(buffer)
        }

        /// Sets the trailers, sent after the last chunk of a chunked body; the server ends the
        /// body once the `ResponseBody` returns.
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
            stream.finish(trailers: trailingHeaders)
        }
    }
}
