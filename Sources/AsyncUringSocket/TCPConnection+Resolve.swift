import AsyncUring

extension TCPConnection {
    /// Connects to `endpoint`, a `"HOST:PORT"` whose host may be a name
    /// (`"localhost:6379"`, `"db.internal:5432"`), an IP literal (`"[::1]:8080"`), or
    /// `"unix:PATH"`.
    ///
    /// A name is resolved with getaddrinfo off the ring threads (see
    /// ``SocketAddress/resolve(host:port:)``); the resolved addresses are tried in the
    /// resolver's order until one connects.
    ///
    /// - Parameters:
    ///   - endpoint: where to connect.
    ///   - timeout: how long each address may take to connect; throws `ETIMEDOUT` when the
    ///     last one did not within it.
    ///   - ring: as for ``connect(to:timeout:ring:)-(SocketAddress,_,_)``.
    /// - Throws: ``SocketError``: `parse address` for a malformed endpoint, `resolve` when
    ///   the name has no address, else the last address's connect error; `CancellationError`.
    public static func connect(
        to endpoint: String,
        timeout: Duration? = nil,
        ring: Ring? = nil
    ) async throws -> TCPConnection {
        if endpoint.hasPrefix("unix:") {
            return try await connect(to: SocketAddress(endpoint), timeout: timeout, ring: ring)
        }
        let (host, port, _) = try SocketAddress.splitHostPort(endpoint)
        return try await connect(host: String(host), port: port, timeout: timeout, ring: ring)
    }

    /// Connects to `port` on `host`, a name or an IP literal; see
    /// ``connect(to:timeout:ring:)-(String,_,_)``.
    public static func connect(
        host: String,
        port: Int,
        timeout: Duration? = nil,
        ring: Ring? = nil
    ) async throws -> TCPConnection {
        let addresses = try await SocketAddress.resolve(host: host, port: port)
        var lastError: any Error = SocketError(.resolve, .noSuchAddressOrDevice, detail: "\(host): no address")
        for address in addresses {
            try Task.checkCancellation()
            do {
                return try await connect(to: address, timeout: timeout, ring: ring)
            } catch let error as SocketError {
                lastError = error
            }
        }
        throw lastError
    }
}
