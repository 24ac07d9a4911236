import AsyncUringHTTP
import AsyncUringSocket
import Hummingbird
import Logging

/// What a request context is made from when ``UringApplication`` serves a request: the
/// request's logger and the peer's address.
///
/// It stands where Hummingbird's `ApplicationRequestContextSource` stands for an
/// `Application`. That one carries the SwiftNIO `Channel` of the connection, which a server on
/// io_uring does not have; a context made from this source is served by ``UringApplication``.
/// ``BasicUringRequestContext`` is the ready-made context; a context of your own names this
/// source:
///
/// ```swift
/// struct AppRequestContext: RequestContext {
///     typealias Source = UringRequestContextSource
///     var coreContext: CoreRequestContextStorage
///     init(source: Source) {
///         coreContext = .init(source: source)
///     }
/// }
/// ```
public struct UringRequestContextSource: RequestContextSource, Sendable {
    /// The request's logger, with its `hb.request.id` metadata.
    public let logger: Logger
    private let peer: Peer

    private enum Peer: Sendable {
        /// Asked of the connection when read: most requests never ask.
        case request(HTTPServerRequest)
        case address(AsyncUringSocket.SocketAddress?)
    }

    /// A source with a fixed peer address, for contexts made outside a server (tests).
    ///
    /// - Parameters:
    ///   - logger: the request's logger.
    ///   - remoteAddress: the peer's address.
    public init(logger: Logger, remoteAddress: AsyncUringSocket.SocketAddress? = nil) {
        self.logger = logger
        peer = .address(remoteAddress)
    }

    init(request: HTTPServerRequest, logger: Logger) {
        self.logger = logger
        peer = .request(request)
    }

    /// The peer's address, or nil when the connection is gone. Reading it asks the kernel
    /// (`getpeername(2)`) each time.
    public var remoteAddress: AsyncUringSocket.SocketAddress? {
        switch peer {
        case .request(let request): request.remoteAddress
        case .address(let address): address
        }
    }
}
