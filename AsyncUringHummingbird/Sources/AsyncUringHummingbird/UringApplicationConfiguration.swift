import AsyncUringHTTP

/// Where and how a ``UringApplication`` serves: the address, the `Server` field, and the
/// HTTP server's limits and timeouts.
///
/// The counterpart of Hummingbird's `ApplicationConfiguration`:
/// `ApplicationConfiguration(address: .hostname("0.0.0.0", port: 8080), serverName: "app")`
/// becomes `UringApplicationConfiguration(host: "0.0.0.0", port: 8080, serverName: "app")`.
public struct UringApplicationConfiguration: Sendable {
    /// The IPv4 or IPv6 address literal to listen on.
    public var host: String
    /// The port to listen on; 0 lets the kernel pick one (see
    /// ``UringApplication/init(router:configuration:services:group:onServerRunning:logger:)``'s
    /// `onServerRunning`).
    public var port: Int
    /// Sent as the `Server` field of every response, when set.
    public var serverName: String?
    /// The most connections waiting to be accepted (`listen(2)`'s backlog).
    public var backlog: Int
    /// Lets several listeners bind the same address (`SO_REUSEPORT`).
    public var reusePort: Bool
    /// Limits, timeouts, keep-alive and graceful shutdown of the HTTP server.
    public var http: HTTPServerConfiguration

    /// - Parameters:
    ///   - host: the address to listen on.
    ///   - port: the port to listen on; 0 lets the kernel pick one.
    ///   - serverName: the `Server` field of every response, or nil for none.
    ///   - backlog: the most connections waiting to be accepted.
    ///   - reusePort: whether several listeners may bind the same address.
    ///   - http: the HTTP server's limits and timeouts.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        serverName: String? = nil,
        backlog: Int = 256,
        reusePort: Bool = false,
        http: HTTPServerConfiguration = HTTPServerConfiguration()
    ) {
        self.host = host
        self.port = port
        self.serverName = serverName
        self.backlog = backlog
        self.reusePort = reusePort
        self.http = http
    }
}
