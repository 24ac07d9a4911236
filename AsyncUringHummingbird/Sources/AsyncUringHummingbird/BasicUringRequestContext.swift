import AsyncUringSocket
import Hummingbird
import NIOCore

/// The request context of a Hummingbird `Router` served by ``UringApplication``: what
/// Hummingbird's `BasicRequestContext` is for an `Application`.
///
/// ```swift
/// let router = Router(context: BasicUringRequestContext.self)
/// ```
///
/// It conforms to `RemoteAddressRequestContext`, so that `TracingMiddleware` records the
/// peer's address.
public struct BasicUringRequestContext: RequestContext, RemoteAddressRequestContext {
    public typealias Source = UringRequestContextSource

    /// Hummingbird's own context values: logger, path parameters, endpoint path.
    public var coreContext: CoreRequestContextStorage
    private let source: UringRequestContextSource

    /// - Parameter source: the request's logger and peer.
    public init(source: UringRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        self.source = source
    }

    /// The peer's address as a SwiftNIO `SocketAddress`, or nil when the connection is gone.
    /// Reading it asks the kernel (`getpeername(2)`) each time.
    public var remoteAddress: NIOCore.SocketAddress? {
        source.remoteAddress.flatMap(NIOCore.SocketAddress.init(uring:))
    }
}

extension NIOCore.SocketAddress {
    /// The SwiftNIO form of an AsyncUringSocket address; nil when it has no such form.
    init?(uring address: AsyncUringSocket.SocketAddress) {
        switch address.family {
        case .unix:
            guard let path = try? NIOCore.SocketAddress(unixDomainSocketPath: address.host) else { return nil }
            self = path
        case .ipv4, .ipv6:
            guard let port = address.port,
                let ip = try? NIOCore.SocketAddress(ipAddress: address.host, port: port)
            else { return nil }
            self = ip
        }
    }
}
