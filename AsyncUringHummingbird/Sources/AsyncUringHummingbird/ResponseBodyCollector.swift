import Hummingbird
import NIOCore

/// Collects a small response body of known length into one byte array, so that the server
/// copies it beside the head into one send.
///
/// Hummingbird's `ResponseBody.write(_:)` consumes its writer, so the bytes are kept in a
/// class the writer refers to. `@unchecked Sendable` for the same reason as
/// ``ResponseBodyStream``: one task uses it, one call after the other.
final class ResponseBodyCollector: @unchecked Sendable {
    var bytes: [UInt8] = []

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    /// The `ResponseBodyWriter` that appends to the collector.
    struct Writer: ResponseBodyWriter {
        let collector: ResponseBodyCollector

        mutating func write(_ buffer: ByteBuffer) async throws {
            if collector.bytes.isEmpty {
                collector.bytes = Array(buffer.readableBytesView)
            } else {
                collector.bytes.append(contentsOf: buffer.readableBytesView)
            }
        }

        /// Trailers are dropped: a body of known length is not chunked.
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
