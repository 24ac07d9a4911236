import AsyncUring
import Logging
import ServiceLifecycle
import Synchronization

/// Accepts connections and runs one handler task per connection, on the connection's ring
/// (the task's executor preference), with structured concurrency. Each handler runs in its
/// connection's cancellation scope (``TCPConnection/withCancellationScope(_:)``).
///
/// ```swift
/// let listener = try TCPListener.bind(port: 8080)
/// let server = TCPServer(listener: listener) { connection in
///     var buffer = [UInt8](repeating: 0, count: 4096)
///     while let count = try await connection.receive(into: &buffer) {
///         try await connection.send(buffer[..<count])
///     }
/// }
/// try await server.run()
/// ```
///
/// ``run()`` returns after a graceful shutdown (``triggerGracefulShutdown()``, or the
/// graceful shutdown of the `ServiceGroup` running the server as a `Service`): the listener
/// closes at once, handlers may finish within `gracePeriod`, then the ones left are
/// cancelled. Cancelling the task running ``run()`` cancels every handler at once. A
/// connection is closed when its handler returns or throws.
public final class TCPServer: Sendable {
    /// Handles one connection; runs on the connection's ring thread.
    public typealias Handler = @Sendable (TCPConnection) async throws -> Void

    public let listener: TCPListener
    let handler: Handler
    let gracePeriod: Duration
    let maxConnections: Int
    let idleTimeout: Duration?
    let keepAlive: Bool
    let logger: Logger
    private let shutdownSignal = ShutdownSignal()
    private let openConnectionCount = Atomic<Int>(0)

    /// - Parameters:
    ///   - listener: where connections come from.
    ///   - gracePeriod: how long handlers may run on after a graceful shutdown began.
    ///   - maxConnections: connections beyond this many open ones are closed at once, so a
    ///     flood cannot exhaust descriptors.
    ///   - idleTimeout: when set, a handler's receive that waits longer than this without a
    ///     byte throws `ETIMEDOUT` (unless it passes its own timeout), which ends an idle or
    ///     half-open connection: the handler returns or throws and the connection is closed.
    ///   - keepAlive: sets `SO_KEEPALIVE` on accepted connections, so the kernel probes idle
    ///     peers and a vanished one resets the connection.
    ///   - logger: for what an operator must see (the connection limit reached, accepting
    ///     stopped by an error) and, at debug level, handler failures.
    ///   - handler: runs once per connection.
    public init(
        listener: TCPListener,
        gracePeriod: Duration = .seconds(10),
        maxConnections: Int = 65536,
        idleTimeout: Duration? = nil,
        keepAlive: Bool = false,
        logger: Logger = Logger(label: "AsyncUringSocket.TCPServer"),
        handler: @escaping Handler
    ) {
        self.listener = listener
        self.handler = handler
        self.gracePeriod = gracePeriod
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.keepAlive = keepAlive
        self.logger = logger
    }

    /// Connections whose handler is running.
    public var openConnections: Int { openConnectionCount.load(ordering: .relaxed) }

    /// Stops accepting; handlers get the grace period, then are cancelled.
    public func triggerGracefulShutdown() {
        shutdownSignal.trigger()
    }

    /// Serves until a graceful shutdown completes or the task is cancelled.
    ///
    /// Run by a swift-service-lifecycle `ServiceGroup`, the group's graceful shutdown (e.g. on
    /// SIGTERM) calls ``triggerGracefulShutdown()``; see ``TCPServer`` for what follows.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await serve()
        } onGracefulShutdown: {
            self.triggerGracefulShutdown()
        }
    }

    private func serve() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.acceptAndHandle() }
            group.addTask {
                await self.shutdownSignal.wait()
                await self.listener.close()
                try? await Task.sleep(for: self.gracePeriod)
            }
            // Either every handler ended after the listener closed, or the grace period is
            // over (or the run was cancelled): cancel what is left and wait for it.
            try await group.next()
            group.cancelAll()
            try await group.waitForAll()
        }
    }

    private func acceptAndHandle() async {
        await withDiscardingTaskGroup { handlers in
            do {
                for try await connection in listener.connections {
                    guard openConnectionCount.add(1, ordering: .relaxed).newValue <= maxConnections else {
                        openConnectionCount.subtract(1, ordering: .relaxed)
                        logger.warning(
                            "connection limit reached, closing new connection",
                            metadata: ["limit": "\(maxConnections)"]
                        )
                        try? await connection.close()
                        continue
                    }
                    handlers.addTask(executorPreference: connection.ring) {
                        await self.handle(connection)
                    }
                }
            } catch is CancellationError {
            } catch {
                logger.error("accepting stopped", metadata: ["error": "\(error)"])
            }
        }
    }

    private func handle(_ connection: TCPConnection) async {
        defer { openConnectionCount.subtract(1, ordering: .relaxed) }
        connection.defaultReceiveTimeout = idleTimeout
        if keepAlive { try? connection.setOption(.keepAlive(true)) }
        do {
            // One cancellation handler for the handler's waits on its connection.
            try await connection.withCancellationScope { try await handler(connection) }
        } catch is CancellationError {
        } catch {
            logger.debug("connection handler failed", metadata: ["error": "\(error)"])
        }
        if !connection.isClosed { try? await connection.close() }
    }
}
