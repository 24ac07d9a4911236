import AsyncUring

/// What ``copyBidirectionally(_:_:)`` copied, and what ended it.
public struct BidirectionalCopy: Sendable {
    /// Bytes received from the first connection and sent to the second.
    public var aToB: Int = 0
    /// Bytes received from the second connection and sent to the first.
    public var bToA: Int = 0
    /// The first error that ended the copy (a reset, a timeout, `CancellationError` when the
    /// calling task was cancelled); nil when both directions reached their end of stream.
    public var error: (any Error)?

    public init(aToB: Int = 0, bToA: Int = 0, error: (any Error)? = nil) {
        self.aToB = aToB
        self.bToA = bToA
        self.error = error
    }
}

/// Copies bytes both ways between two connections until both directions ended: what `a`
/// receives is sent to `b`, and what `b` receives to `a` (a proxy's inner loop).
///
/// Bytes are forwarded in the buffers the kernel received them in
/// (``TCPConnection/receiveBytes(timeout:)`` to ``TCPConnection/send(_:timeout:)-(ReceivedBytes,_)``),
/// never copied in user space. When one side reaches end of stream, the other side's writing
/// is shut down after the bytes sent so far (a half-close): its peer reads end of stream
/// while the other direction goes on. An error in either direction (a reset, a failed send,
/// an idle timeout) ends both at once, and so does cancelling the calling task.
///
/// The connections stay open; the caller closes them. Each direction's receives and sends
/// run on the connections' rings: put both on one ring (connect the second with `ring:` the
/// first's) so the received buffers are sent without a hop.
///
/// The corresponding io_uring operations are the multishot `IORING_OP_RECV`, `IORING_OP_SEND`
/// (or `IORING_OP_SENDMSG`) and `IORING_OP_SHUTDOWN` with `SHUT_WR`.
///
/// - Parameters:
///   - a: one connection.
///   - b: the other.
/// - Returns: the bytes copied each way and the error that ended the copy, if any.
public func copyBidirectionally(_ a: TCPConnection, _ b: TCPConnection) async -> BidirectionalCopy {
    await withTaskGroup(of: CopyDirection.Outcome.self) { group in
        group.addTask { await CopyDirection.run(from: a, to: b, isAToB: true) }
        group.addTask { await CopyDirection.run(from: b, to: a, isAToB: false) }
        var copy = BidirectionalCopy()
        while let outcome = await group.next() {
            if outcome.isAToB { copy.aToB = outcome.bytes } else { copy.bToA = outcome.bytes }
            guard let error = outcome.error, copy.error == nil else { continue }
            // The other direction may wait for bytes that never come, or for room in a send
            // queue nobody drains: a waiting receive or send ends at once when cancelled.
            copy.error = error
            group.cancelAll()
        }
        return copy
    }
}

/// One direction of ``copyBidirectionally(_:_:)``.
enum CopyDirection {
    struct Outcome: Sendable {
        var isAToB: Bool
        var bytes: Int
        var error: (any Error)?
    }

    /// Forwards what `source` receives to `sink` until end of stream, then shuts `sink`'s
    /// writing down; an error ends it.
    static func run(from source: TCPConnection, to sink: TCPConnection, isAToB: Bool) async -> Outcome {
        var outcome = Outcome(isAToB: isAToB, bytes: 0)
        do {
            while let bytes = try await source.receiveBytes() {
                let count = bytes.count
                try await sink.send(bytes)
                outcome.bytes += count
            }
            // The FIN follows the bytes sent before it.
            try await sink.shutdown(.write)
        } catch {
            outcome.error = error
        }
        return outcome
    }
}
