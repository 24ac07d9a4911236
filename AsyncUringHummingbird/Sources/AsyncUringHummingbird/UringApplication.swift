import AsyncUring
import AsyncUringHTTP
import AsyncUringSocket
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

/// Serves a Hummingbird `Router` (any `HTTPResponder`, middleware included) over HTTP/1.1 on
/// io_uring: Hummingbird's `Application`, with AsyncUringHTTP's ``HTTPServer`` in place of
/// the SwiftNIO one.
///
/// ```swift
/// let router = Router(context: BasicUringRequestContext.self)
/// router.get("hello") { _, _ in "Hello" }
/// let app = UringApplication(router: router, configuration: .init(host: "0.0.0.0", port: 8080))
/// try await app.runService()
/// ```
///
/// The responder's context is made from a ``UringRequestContextSource`` (there is no SwiftNIO
/// `Channel`): ``BasicUringRequestContext`` or a context of your own with that `Source`.
/// Errors are answered as by `Application` (see ``HTTPResponderAdapter``).
///
/// As a `Service` it runs its `services` and the server in a `ServiceGroup` of its own, and
/// ends them at graceful shutdown: requests in flight finish within
/// ``UringApplicationConfiguration/http``'s grace period.
public struct UringApplication<Responder: HTTPResponder>: Service, CustomStringConvertible
where Responder.Context: InitializableFromSource<UringRequestContextSource> {
    /// Answers the requests.
    public let responder: Responder
    public var configuration: UringApplicationConfiguration
    public var logger: Logger
    /// The rings the server runs on; nil: `RingGroup.shared`.
    public let group: RingGroup?
    /// Services run beside the server, started before it and ended after it.
    public var services: [any Service]
    private var processesRunBeforeServerStart: [@Sendable () async throws -> Void] = []
    private let onServerRunning: @Sendable (AsyncUringSocket.SocketAddress) async -> Void

    /// - Parameters:
    ///   - responder: answers the requests.
    ///   - configuration: address, `Server` field, HTTP limits and timeouts.
    ///   - services: services to run beside the server.
    ///   - group: the rings to serve on; nil: `RingGroup.shared`. The application does not
    ///     shut them down.
    ///   - onServerRunning: called with the bound address once the server listens (with
    ///     port 0, it tells the port the kernel picked).
    ///   - logger: the application's logger; nil: one labelled with the server name, its
    ///     level from the `LOG_LEVEL` environment variable, as `Application` does.
    public init(
        responder: Responder,
        configuration: UringApplicationConfiguration = UringApplicationConfiguration(),
        services: [any Service] = [],
        group: RingGroup? = nil,
        onServerRunning: @escaping @Sendable (AsyncUringSocket.SocketAddress) async -> Void = { _ in },
        logger: Logger? = nil
    ) {
        self.responder = responder
        self.configuration = configuration
        self.services = services
        self.group = group
        self.onServerRunning = onServerRunning
        self.logger = logger ?? Self.defaultLogger(configuration)
    }

    /// - Parameters:
    ///   - router: builds the responder (a `Router`).
    ///   - configuration: address, `Server` field, HTTP limits and timeouts.
    ///   - services: services to run beside the server.
    ///   - group: the rings to serve on; nil: `RingGroup.shared`.
    ///   - onServerRunning: called with the bound address once the server listens.
    ///   - logger: the application's logger.
    public init<Builder: HTTPResponderBuilder>(
        router: Builder,
        configuration: UringApplicationConfiguration = UringApplicationConfiguration(),
        services: [any Service] = [],
        group: RingGroup? = nil,
        onServerRunning: @escaping @Sendable (AsyncUringSocket.SocketAddress) async -> Void = { _ in },
        logger: Logger? = nil
    ) where Builder.Responder == Responder {
        self.init(
            responder: router.buildResponder(),
            configuration: configuration,
            services: services,
            group: group,
            onServerRunning: onServerRunning,
            logger: logger
        )
    }

    public var description: String { "UringApplication" }

    /// Adds services to run beside the server.
    public mutating func addServices(_ services: any Service...) {
        self.services.append(contentsOf: services)
    }

    /// Adds a process to run, once the other services run, before the server binds (a
    /// database migration, say).
    public mutating func beforeServerStarts(perform process: @escaping @Sendable () async throws -> Void) {
        processesRunBeforeServerStart.append(process)
    }

    /// Runs the services and the server until a graceful shutdown ends them.
    ///
    /// - Throws: `SocketError` when the address cannot be bound; what a service or a
    ///   process run before the server throws.
    public func run() async throws {
        let server = ServerService(application: self)
        let group = ServiceGroup(configuration: .init(services: services + [server], logger: logger))
        try await group.run()
    }

    /// Runs the application in a `ServiceGroup` that shuts it down gracefully on
    /// `gracefulShutdownSignals`.
    public func runService(gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint]) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: [self],
                gracefulShutdownSignals: gracefulShutdownSignals,
                logger: logger
            )
        )
        try await group.run()
    }

    private static func defaultLogger(_ configuration: UringApplicationConfiguration) -> Logger {
        var logger = Logger(label: configuration.serverName ?? "Hummingbird")
        if let level = Environment().get("LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) {
            logger.logLevel = level
        }
        return logger
    }

    /// Runs the processes before the server, binds, and serves.
    private struct ServerService: Service {
        let application: UringApplication

        func run() async throws {
            for process in application.processesRunBeforeServerStart {
                try await process()
            }
            let configuration = application.configuration
            let listener = try TCPListener.bind(
                host: configuration.host,
                port: configuration.port,
                backlog: configuration.backlog,
                reusePort: configuration.reusePort,
                group: application.group,
                logger: application.logger
            )
            let adapter = HTTPResponderAdapter(
                responder: application.responder,
                logger: application.logger,
                serverName: configuration.serverName
            )
            let server = HTTPServer(
                listener: listener,
                configuration: configuration.http,
                logger: application.logger
            ) { request in
                try await adapter.respond(to: request)
            }
            await application.onServerRunning(listener.localAddress)
            try await server.run()
        }
    }
}
