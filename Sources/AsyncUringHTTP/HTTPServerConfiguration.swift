/// How an ``HTTPServer`` treats its connections: limits, timeouts and shutdown.
public struct HTTPServerConfiguration: Sendable {
    /// Limits on request lines, header sections and bodies (answered with 414, 431, 413).
    public var limits = HTTPParserLimits()
    /// The longest a request head may take to arrive, from its first byte: a peer that
    /// sends it slower (slowloris) is answered with 408 and closed.
    public var headerTimeout: Duration = .seconds(10)
    /// The longest an open connection may wait for the first byte of its next request; it is
    /// closed after.
    public var idleTimeout: Duration = .seconds(60)
    /// The longest a read of a request body may wait for bytes.
    public var bodyTimeout: Duration = .seconds(30)
    /// The longest a response may wait for room in the connection's send queue (the peer
    /// stopped reading); the connection is closed after.
    public var sendTimeout: Duration = .seconds(30)
    /// The most requests served on one connection; the last one's response carries
    /// `Connection: close`.
    public var maxRequestsPerConnection = 10_000
    /// How long requests in flight may run on after a graceful shutdown began (idle
    /// connections close at once); the ones left are cancelled.
    public var gracePeriod: Duration = .seconds(10)
    /// The most connections served at once; nil: as many as the descriptor limit leaves room
    /// for (`TCPServer.defaultMaxConnections()`).
    public var maxConnections: Int?
    /// After a response that closes the connection while the peer may still be sending (an
    /// unread body), reading on and discarding for at most this long before the close, so
    /// that the close does not reset the connection and lose the response.
    public var lingerTimeout: Duration = .seconds(2)

    public init() {}
}
