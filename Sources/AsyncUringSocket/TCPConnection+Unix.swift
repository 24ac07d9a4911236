import AsyncUring

extension TCPConnection {
    /// Connects to the Unix domain stream socket at the file `path`.
    ///
    /// ```swift
    /// let connection = try await TCPConnection.connect(unixPath: "/run/my-daemon/control.sock")
    /// try await connection.send("status\n")
    /// ```
    ///
    /// For a name in the abstract namespace use
    /// `connect(to: SocketAddress(abstractUnixName: "name"))`. Unix domain sockets are the
    /// ``TCPConnection`` type too: see ``TCPListener/bind(unixPath:permissions:removingStaleSocketFile:removingSocketFileOnClose:backlog:group:logger:)``.
    ///
    /// The corresponding io_uring operation is `IORING_OP_CONNECT`.
    ///
    /// - Parameters:
    ///   - path: the socket file's path.
    ///   - timeout: how long to wait; throws `ETIMEDOUT` after it.
    ///   - ring: as for ``connect(to:timeout:ring:)-(SocketAddress,_,_)``.
    /// - Throws: ``SocketError``: `ENOENT` when no file is at `path`, `ECONNREFUSED` when
    ///   nobody listens on it, `EACCES` without write permission on it, `ETIMEDOUT`;
    ///   `CancellationError`.
    public static func connect(
        unixPath path: String,
        timeout: Duration? = nil,
        ring: Ring? = nil
    ) async throws -> TCPConnection {
        try await connect(to: SocketAddress(unixPath: path), timeout: timeout, ring: ring)
    }
}
