import AsyncUring
import Logging
import SystemPackage

/// Unix domain stream sockets.
///
/// They use the TCP types: a Unix domain stream socket accepts, connects, sends and receives
/// with the very requests a TCP socket does, so one ``TCPListener`` and one ``TCPConnection``
/// serve both and everything built on them (``BufferedReader``, ``TCPReadHalf`` and
/// ``TCPWriteHalf``, ``TCPServer``) works unchanged. Separate `UnixListener` and
/// `UnixConnection` types, or aliases of the same names, would suggest a difference in
/// behavior that does not exist; the differences lie only in setting up, here. What is
/// TCP-only is skipped for them: `TCP_NODELAY` on new connections, `SO_REUSEADDR` and
/// `SO_REUSEPORT` on listeners.
extension TCPListener {
    /// Binds and listens on a Unix domain socket at the file `path`, managing the file as a
    /// daemon expects.
    ///
    /// ```swift
    /// let listener = try TCPListener.bind(
    ///     unixPath: "/run/my-daemon/control.sock",
    ///     permissions: [.ownerReadWrite, .groupReadWrite],
    ///     removingStaleSocketFile: true
    /// )
    /// let server = TCPServer(listener: listener) { connection in
    ///     var reader = connection.reader()
    ///     while let line = try await reader.read(until: UInt8(ascii: "\n"), maxLength: 1024) {
    ///         try await connection.send(line + [UInt8(ascii: "\n")])
    ///     }
    /// }
    /// try await server.run()
    /// ```
    ///
    /// For a name in the abstract namespace (no file) pass
    /// `SocketAddress(abstractUnixName:)` to ``bind(to:backlog:reusePort:group:logger:)``.
    ///
    /// - Parameters:
    ///   - path: the socket file's path, at most 107 bytes.
    ///   - permissions: the file's mode, set between bind(2) and listen(2) so no peer
    ///     connects under the mode the umask gave. Connecting needs write permission on it.
    ///     nil keeps what the umask gives.
    ///   - removingStaleSocketFile: when a socket file is at `path` and nobody listens on it
    ///     (connecting to it is refused), e.g. left by a daemon that crashed, remove it first.
    ///     A file that is not a socket, or a socket someone listens on, is never removed:
    ///     the bind throws `EADDRINUSE`.
    ///   - removingSocketFileOnClose: remove the file when the listener closes (or is
    ///     released), if it is still the file this bind made.
    ///   - backlog: the listen(2) backlog.
    ///   - group: the rings for the listener and its connections; default `RingGroup.shared`.
    ///   - logger: as for ``bind(host:port:backlog:reusePort:group:logger:)``.
    /// - Throws: ``SocketError``: `parse address` (`ENAMETOOLONG`, `EINVAL`) for a path that
    ///   does not fit; `bind` with `EADDRINUSE` when the path is taken, `EACCES`, `ENOENT`
    ///   for a missing directory; `set option` when the mode cannot be set.
    public static func bind(
        unixPath path: String,
        permissions: FilePermissions? = nil,
        removingStaleSocketFile: Bool = false,
        removingSocketFileOnClose: Bool = true,
        backlog: Int = 1024,
        group: RingGroup? = nil,
        logger: Logger = Logger(label: "AsyncUringSocket")
    ) throws -> TCPListener {
        let address = try SocketAddress(unixPath: path)
        if removingStaleSocketFile { try removeStaleSocketFile(at: path) }
        let file = SocketFileOptions(permissions: permissions, removingOnClose: removingSocketFileOnClose)
        return try bind(to: address, backlog: backlog, reusePort: false, group: group, logger: logger, file: file)
    }

    private static func removeStaleSocketFile(at path: String) throws(SocketError) {
        let check: UnixSocketFile.StaleCheck
        do { check = try UnixSocketFile.removeStale(at: path) } catch {
            throw SocketError(.bind, error, detail: "unix:\(path): checking for a stale socket file")
        }
        switch check {
        case .absent, .removed:
            return
        case .notASocket:
            throw SocketError(.bind, .addressInUse, detail: "unix:\(path) exists and is not a socket; left in place")
        case .inUse(let errno):
            let how = errno.map { "connecting to it gave \($0)" } ?? "a listener accepted a connection"
            throw SocketError(.bind, .addressInUse, detail: "unix:\(path) is in use (\(how)); left in place")
        }
    }
}
