import AsyncUring

extension TCPConnection {
    /// Splits the connection into a read half and a write half that two tasks own: one
    /// receives while the other sends, each closing its own direction when it is done.
    ///
    /// The halves share this connection: its descriptor is closed once both halves were
    /// closed (``TCPReadHalf/close()``, ``TCPWriteHalf/finish()``) or dropped. Dropping the
    /// write half without finishing it shuts writing down as ``TCPWriteHalf/finish()`` does.
    /// Closing the connection itself closes both halves under their callers, whose calls
    /// then throw `EBADF`.
    ///
    /// ```swift
    /// let (reader, writer) = try await connection.split()
    /// async let replies: Void = {
    ///     while let bytes = try await reader.receiveBytes() { handle(bytes) }
    ///     try await reader.close()
    /// }()
    /// try await writer.send("PING\r\n")
    /// try await writer.finish()
    /// try await replies
    /// ```
    ///
    /// - Returns: the two halves.
    /// - Throws: ``SocketError`` of operation `split`: `EALREADY` when the connection was
    ///   split before, `EBADF` once closed; `CancellationError` when the ring has stopped.
    public func split() async throws -> (reader: TCPReadHalf, writer: TCPWriteHalf) {
        try await ring.run { () async throws -> Void in try lifecycle.splitRequested() }
        return (TCPReadHalf(self), TCPWriteHalf(self))
    }

    /// A half was closed or dropped: the read half stops the receive request and shuts
    /// reading down (`shutdown(2)` with `SHUT_RD`); the last half closes the connection.
    ///
    /// Once the ring stopped, every request of the connection has ended: releasing either
    /// half closes the descriptor.
    func releaseHalf(_ half: ConnectionStateMachine.Half) async throws {
        let action: ConnectionStateMachine.HalfReleaseAction
        do {
            action = try await ring.run { () async throws -> ConnectionStateMachine.HalfReleaseAction in
                let action = try lifecycle.halfReleased(half)
                if half == .read {
                    // A waiting receive ends with ECANCELED, which receiveError maps to EBADF.
                    receiver.close()
                    // shutdown(.read) semantics, while the descriptor is ours: a connection
                    // closing may have given it back already. A peer gone (ENOTCONN) is fine.
                    if lifecycle.state == .open { try? SocketSyscalls.shutdownReading(fd) }
                }
                return action
            }
        } catch is CancellationError where ring.isTerminated {
            try? closeAfterRingEnded()
            return
        }
        if action == .close { try await close() }
    }
}
