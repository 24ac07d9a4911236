import AsyncUring
import Glibc
import Logging
import Synchronization
import SystemPackage

/// A listening stream socket: TCP over IPv4 or IPv6, or a Unix domain stream socket.
///
/// One type serves both families, as one ``TCPConnection`` does: the ring's accept, connect,
/// receive and send do not care about the family, so neither does anything built on them
/// (the buffered reader, halves, ``TCPServer``). Only the set-up differs: for Unix domain
/// sockets see ``bind(unixPath:permissions:removingStaleSocketFile:removingSocketFileOnClose:backlog:group:logger:)``
/// and ``bind(to:backlog:reusePort:group:logger:)`` with an abstract name.
///
/// Accepted connections are spread round-robin over the rings of the listener's group.
public final class TCPListener: @unchecked Sendable {
    /// The ring that runs this listener's accept requests.
    public let ring: Ring
    /// The rings accepted connections are bound to.
    public let group: RingGroup
    /// The address the listener is bound to (with the actual port when bound to port 0).
    public let localAddress: SocketAddress
    /// Closed by the ring once no accept request on it is left.
    private let descriptor: SocketDescriptor
    var fd: Int32 { descriptor.fd }
    let logger: Logger
    /// The Unix socket file to remove when the listener closes.
    private let socketFile: UnixSocketFile?

    // Guarded by: ring thread.
    private var lifecycle = ListenerStateMachine()
    /// Set by whichever close closes the descriptor: on the ring, after it ended, or deinit.
    private let isDescriptorClosed = Atomic<Bool>(false)
    private var multishot: MultishotAccept?
    private let acceptOperation = OperationState()

    /// Binds and listens on `host:port`.
    ///
    /// - Parameters:
    ///   - host: an IP address literal; default `127.0.0.1`.
    ///   - port: 0 picks an ephemeral port (see ``localAddress``).
    ///   - backlog: the listen(2) backlog.
    ///   - reusePort: sets `SO_REUSEPORT`, so several listeners (one per ring or process) can
    ///     share the port and the kernel spreads connections over them.
    ///   - group: the rings for the listener and its connections; default `RingGroup.shared`.
    ///   - logger: for what an operator must see, e.g. accepting backing off on `EMFILE`.
    /// - Throws: ``SocketError`` (`EADDRINUSE`, `EACCES`, `EINVAL` for a bad host or port).
    public static func bind(
        host: String = "127.0.0.1",
        port: Int,
        backlog: Int = 1024,
        reusePort: Bool = false,
        group: RingGroup? = nil,
        logger: Logger = Logger(label: "AsyncUringSocket")
    ) throws -> TCPListener {
        let address =
            try host.contains(":") ? SocketAddress(ipv6: host, port: port) : SocketAddress(ipv4: host, port: port)
        return try bind(to: address, backlog: backlog, reusePort: reusePort, group: group, logger: logger)
    }

    /// Binds and listens on `address` (IPv4, IPv6, a Unix domain path or abstract name).
    /// `SO_REUSEADDR` is always set for IP addresses; `reusePort` applies to them only.
    ///
    /// For a Unix domain path this is the plain bind(2): the path must be free and the file
    /// stays after ``close()``. ``bind(unixPath:permissions:removingStaleSocketFile:removingSocketFileOnClose:backlog:group:logger:)``
    /// manages the file as a daemon wants.
    public static func bind(
        to address: SocketAddress,
        backlog: Int = 1024,
        reusePort: Bool = false,
        group: RingGroup? = nil,
        logger: Logger = Logger(label: "AsyncUringSocket")
    ) throws -> TCPListener {
        try bind(to: address, backlog: backlog, reusePort: reusePort, group: group, logger: logger, file: nil)
    }

    /// What a listener on a Unix domain path does with its socket file.
    struct SocketFileOptions {
        var permissions: FilePermissions?
        var removingOnClose: Bool
    }

    /// The one bind of every stream listener: IP, Unix path and abstract name.
    static func bind(
        to address: SocketAddress,
        backlog: Int,
        reusePort: Bool,
        group: RingGroup?,
        logger: Logger,
        file: SocketFileOptions?
    ) throws -> TCPListener {
        let group = try group ?? RingGroup.shared
        guard let backlog = Int32(exactly: backlog), backlog >= 0 else {
            throw SocketError(.listen, .invalidArgument, detail: "backlog \(backlog)")
        }
        let fd: Int32
        do { fd = try SocketSyscalls.makeSocket(family: address.raw.family) } catch {
            throw SocketError(.socket, error)
        }
        var step = SocketError.Operation.setOption
        do throws(Errno) {
            if address.family != .unix {
                try SocketSyscalls.setOption(fd, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1)
                if reusePort { try SocketSyscalls.setOption(fd, level: SOL_SOCKET, name: SO_REUSEPORT, value: 1) }
            }
            step = .bind
            try SocketSyscalls.bind(fd, to: address.raw)
            var socketFile: UnixSocketFile?
            do throws(Errno) {
                if let file, let path = address.unixPath {
                    socketFile = try UnixSocketFile(boundAt: path)
                    // Before listen(2): until then every connect is refused.
                    step = .setOption
                    if let mode = file.permissions { try socketFile?.setPermissions(UInt32(mode.rawValue)) }
                }
                step = .listen
                try SocketSyscalls.listen(fd, backlog: backlog)
                step = .localAddress
                let bound = SocketAddress(raw: try SocketSyscalls.localAddress(fd))
                let removedFile = file?.removingOnClose == true ? socketFile : nil
                return TCPListener(fd: fd, localAddress: bound, group: group, logger: logger, socketFile: removedFile)
            } catch {
                // The file this bind made is of no use to anyone.
                socketFile?.removeIfUnchanged()
                throw error
            }
        } catch {
            SocketSyscalls.close(fd)
            throw SocketError(step, error, detail: "\(address)")
        }
    }

    private init(fd: Int32, localAddress: SocketAddress, group: RingGroup, logger: Logger, socketFile: UnixSocketFile?)
    {
        self.socketFile = socketFile
        self.localAddress = localAddress
        self.group = group
        self.ring = group.next()
        self.descriptor = SocketDescriptor(fd, ring: ring)
        self.logger = logger
    }

    deinit {
        // A multishot accept may still be armed: it holds the socket, so closing the number
        // alone would keep accepting. The ring stops it (closing the connections it queued)
        // and closes the descriptor once the kernel is done.
        guard isDescriptorClosed.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged
        else { return }
        socketFile?.removeIfUnchanged()
        let (ring, multishot, descriptor) = (ring, multishot, descriptor)
        ring.execute {
            // After the ring ended this runs on the releasing thread, with no request left.
            if ring.isCurrentThread { multishot?.close() }
            descriptor.closeWhenIdle()
        }
    }

    /// Accepts one connection.
    ///
    /// The corresponding io_uring operation is `IORING_OP_ACCEPT`.
    ///
    /// - Parameter timeout: throws `ETIMEDOUT` when no connection arrives within it.
    /// - Returns: the connection, bound to the next ring of the listener's group.
    /// - Throws: ``SocketError`` (`EMFILE`, `ETIMEDOUT`, `EBADF` once closed, `EALREADY`
    ///   while another `accept` waits), `CancellationError`.
    public func accept(timeout: Duration? = nil) async throws -> TCPConnection {
        try await ring.run { () async throws -> TCPConnection in
            // One state object serves every accept: a second one at the same time is misuse.
            guard try lifecycle.begin(.accept) else {
                throw SocketError(.accept, .badFileDescriptor, detail: "listener closed")
            }
            defer { lifecycle.end(.accept) }
            let result = try await descriptor.counting { try await ring.accept(fd, acceptOperation, timeout: timeout) }
            return try makeConnection(result)
        }
    }

    /// Accepts the next connection through the listener's multishot accept request.
    /// - Returns: nil once the listener is closed.
    /// - Throws: ``SocketError`` with `EALREADY` while another task waits for the next one.
    func nextConnection() async throws -> TCPConnection? {
        try await ring.run { () async throws -> TCPConnection? in
            guard try lifecycle.begin(.iterate) else { return nil }
            defer { lifecycle.end(.iterate) }
            let multishot = self.multishot ?? MultishotAccept(ring: ring, listeningDescriptor: descriptor)
            self.multishot = multishot
            let result = try await multishot.next()
            if result == .failure(.canceled) && lifecycle.isClosed { return nil }
            return try makeConnection(result)
        }
    }

    /// The connection an accept gave; `EBADF` when the listener closed under it.
    private func makeConnection(_ result: IOResult) throws(SocketError) -> TCPConnection {
        switch result {
        case .success(let fd): return makeConnection(Int32(fd))
        case .failure(.canceled) where lifecycle.isClosed:
            throw SocketError(.accept, .badFileDescriptor, detail: "listener closed")
        case .failure(let error): throw SocketError(.accept, error)
        }
    }

    private func makeConnection(_ fd: Int32) -> TCPConnection {
        ring.noteConnection(accepted: true)
        let connection = TCPConnection(descriptor: fd, ring: group.next())
        if localAddress.family != .unix { try? TCPConnection.setOption(.noDelay(true), on: fd) }
        return connection
    }

    /// Stops listening: a pending ``accept(timeout:)`` or iteration of ``connections`` ends,
    /// connections accepted but not yet taken are closed, and once the kernel has ended the
    /// accept requests the descriptor is closed (the port is free when this returns) and the
    /// socket file of a Unix domain listener that should remove it is removed.
    /// After the listener's ring has stopped, the descriptor is closed at once.
    public func close() async {
        do {
            try await closeOnRing()
        } catch {
            // run() throws only once the ring has ended, and with it every accept request.
            guard
                isDescriptorClosed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing)
                    .exchanged
            else { return }
            socketFile?.removeIfUnchanged()
            descriptor.closeWhenIdle()
        }
    }

    private func closeOnRing() async throws {
        try await ring.run { () async throws -> Void in
            guard lifecycle.closeRequested() else { return }
            isDescriptorClosed.store(true, ordering: .releasing)
            multishot?.close()
            ring.cancel(acceptOperation)
            await descriptor.waitUntilIdle()
            socketFile?.removeIfUnchanged()
            SocketSyscalls.close(fd)
        }
    }

    /// Test hook: makes the kernel end the multishot accept request, as it does on errors.
    package func _testOnlyEndMultishotAccept() async throws {
        try await ring.run { () async throws -> Void in multishot?._testOnlyEndRequest() }
    }
}
