import AsyncUring

/// Where a stream's received bytes come from: a ``TCPConnection``, or the read half of one.
///
/// Readers and decoders are written against this protocol, so they read a whole connection
/// and an owned read half alike.
public protocol ByteStreamSource: AnyObject, Sendable {
    /// Receives the bytes that arrived next, in the buffer the kernel put them in.
    ///
    /// - Parameter timeout: throws `ETIMEDOUT` when nothing arrives within it; nil waits
    ///   for as long as the source's default allows.
    /// - Returns: the bytes (at least one), or nil at end of stream.
    func receiveBytes(timeout: Duration?) async throws -> ReceivedBytes?
}

extension TCPConnection: ByteStreamSource {}
