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
///
/// The server holds at most ``maxConnections`` connections, by default as many as the
/// process's descriptor limit leaves room for (``defaultMaxConnections()``). At the limit
/// it stops accepting (new peers wait in the listen backlog), logs a warning, and accepts
/// again, with a notice, once a connection ends: the process never runs out of descriptors,
/// which a Swift process does not survive.
public final class TCPServer: Sendable {
    /// Handles one connection; runs on the connection's ring thread.
    public typealias Handler = @Sendable (TCPConnection) async throws -> Void

    public let listener: TCPListener
    let handler: Handler
    let gracePeriod: Duration
    /// The most connections served at once: the `maxConnections` given to the initializer,
    /// or ``defaultMaxConnections()`` computed when the server was made.
    public let maxConnections: Int
    let idleTimeout: Duration?
    let keepAlive: Bool
    let logger: Logger
    private let shutdownSignal = ShutdownSignal()
    private let handlerFailures = HandlerFailureLog()
    private let openConnectionCount = Atomic<Int>(0)
    /// One per connection being accepted or served.
    private let slots: ConnectionSlots

    /// - Parameters:
    ///   - listener: where connections come from.
    ///   - gracePeriod: how long handlers may run on after a graceful shutdown began.
    ///   - maxConnections: the most connections served at once. With this many open, the
    ///     server stops accepting until one ends; peers beyond it wait in the listen backlog
    ///     (their connect succeeds). nil (the default) takes ``defaultMaxConnections()``,
    ///     computed now: the descriptor limit less the descriptors open and a reserve. Pass
    ///     a number when several servers share the process, or it raises its descriptor
    ///     limit after making the server.
    ///   - idleTimeout: when set, a handler's receive that waits longer than this without a
    ///     byte throws `ETIMEDOUT` (unless it passes its own timeout), which ends an idle or
    ///     half-open connection: the handler returns or throws and the connection is closed.
    ///   - keepAlive: sets `SO_KEEPALIVE` on accepted connections, so the kernel probes idle
    ///     peers and a vanished one resets the connection.
    ///   - logger: for what an operator must see: accepting paused at the connection limit and
    ///     resumed, backing off on `EMFILE`, accepting stopped by an error, and handlers that
    ///     throw (with the peer's address; at most one a second at warning level, the others
    ///     and the peers' resets and receive timeouts at debug level). Pauses that begin
    ///     within 10 s of a logged one are logged at debug level.
    ///   - handler: runs once per connection.
    public init(
        listener: TCPListener,
        gracePeriod: Duration = .seconds(10),
        maxConnections: Int? = nil,
        idleTimeout: Duration? = nil,
        keepAlive: Bool = false,
        logger: Logger = Logger(label: "AsyncUringSocket.TCPServer"),
        handler: @escaping Handler
    ) {
        self.listener = listener
        self.handler = handler
        self.gracePeriod = gracePeriod
        let maxConnections = maxConnections ?? Self.defaultMaxConnections()
        precondition(maxConnections >= 0, "maxConnections cannot be negative: \(maxConnections)")
        self.maxConnections = maxConnections
        self.slots = ConnectionSlots(limit: maxConnections)
        self.idleTimeout = idleTimeout
        self.keepAlive = keepAlive
        self.logger = logger
    }

    /// Connections whose handler is running.
    public var openConnections: Int { openConnectionCount.load(ordering: .relaxed) }

    /// The connection limit a server made now gets by default: the soft `RLIMIT_NOFILE`,
    /// less the descriptors the process has open now, less a reserve of 64 for what the
    /// runtime opens later (at most a quarter of what is left, under a small limit). A Swift
    /// process must never run out of descriptors: libdispatch's worker pool monitor traps
    /// when it cannot open /proc.
    public static func defaultMaxConnections() -> Int {
        DescriptorBudget.maxConnectionsNow()
    }

    /// Pauses at the connection limit within this long of the last one logged are logged at
    /// debug level, so a server that stays at its limit does not flood the log.
    static let pauseLogInterval = Duration.seconds(10)

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
            // On the listener's ring: each accept then resumes where it completed, and the
            // handler tasks start from there, with no hop to the global executor and back
            // per connection.
            group.addTask(executorPreference: listener.ring) { await self.acceptAndHandle() }
            group.addTask {
                await self.shutdownSignal.wait()
                self.slots.close()
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

    /// Accepts one connection per free slot, with one `IORING_OP_ACCEPT` each, and starts its
    /// handler. No multishot accept: armed while the server waits at its limit, the kernel
    /// would accept every connection in the listen backlog at once, beyond the descriptor
    /// budget.
    private func acceptAndHandle() async {
        await withDiscardingTaskGroup { handlers in
            var pauses = PauseLog()
            var backoff = AcceptBackoff()
            while await takeSlot(&pauses) {
                let connection: TCPConnection
                do {
                    connection = try await listener.accept()
                    backoff.succeeded()
                } catch {
                    slots.giveBack()
                    guard await waitToRetry(after: error, backoff: &backoff) else { return }
                    continue
                }
                openConnectionCount.add(1, ordering: .relaxed)
                handlers.addTask(executorPreference: connection.ring) {
                    await self.handle(connection)
                }
            }
        }
    }

    /// Takes a connection slot; at the limit, logs the pause and waits for a connection to
    /// end.
    /// - Returns: false once the server is shutting down.
    private func takeSlot(_ pauses: inout PauseLog) async -> Bool {
        if slots.tryTake() { return true }
        let level = pauses.levelForPause(at: .now)
        let start = ContinuousClock.now
        logger.log(
            level: level,
            "connection limit reached, accepting paused until a connection ends",
            metadata: ["maxConnections": "\(maxConnections)"]
        )
        guard await slots.take() else { return false }
        logger.log(
            level: level == .debug ? .debug : .notice,
            "a connection ended, accepting resumed",
            metadata: ["paused": "\(start.duration(to: .now))"]
        )
        return true
    }

    /// Decides what a failed accept means: skipped, retried after a backoff (descriptor or
    /// memory exhaustion: 10 ms doubling to 1 s), or the end of accepting.
    /// - Returns: whether to accept again.
    private func waitToRetry(after error: any Error, backoff: inout AcceptBackoff) async -> Bool {
        // CancellationError, or EBADF: the listener was closed.
        guard let error = error as? SocketError, error.errno != .badFileDescriptor else { return false }
        switch backoff.failed(with: error) {
        case .retry:
            return true
        case .retryAfter(let delay):
            logger.warning("accept failed, backing off", metadata: ["error": "\(error)", "backoff": "\(delay)"])
            // On the ring's clock: out of descriptors, work queued on the global executor can
            // kill the process (libdispatch's worker monitor traps when it cannot open /proc).
            return (try? await Task.sleep(for: delay, clock: .ring)) != nil
        case .stop:
            logger.error("accepting stopped", metadata: ["error": "\(error)"])
            return false
        }
    }

    private func handle(_ connection: TCPConnection) async {
        defer {
            openConnectionCount.subtract(1, ordering: .relaxed)
            // After the close below: the descriptor is free again.
            slots.giveBack()
        }
        connection.defaultReceiveTimeout = idleTimeout
        if keepAlive { try? connection.setOption(.keepAlive(true)) }
        do {
            // One cancellation handler for the handler's waits on its connection.
            try await connection.withCancellationScope { try await handler(connection) }
        } catch is CancellationError {
        } catch {
            logHandlerFailure(error, of: connection)
        }
        if !connection.isClosed { try? await connection.close() }
    }
}

extension TCPServer {
    /// Handler failures are logged at warning level, at most one per this interval; the
    /// ones between are logged at debug level and counted in the next warning.
    static let handlerFailureLogInterval = Duration.seconds(1)

    /// Logs a handler's failure with the peer's address. What peers do every day (reset a
    /// connection, stay idle past a receive's timeout) is logged at debug level; anything
    /// else at warning level, rate-limited.
    func logHandlerFailure(_ error: any Error, of connection: TCPConnection) {
        let peer = (try? connection.remoteAddress).map { "\($0)" } ?? "unknown"
        var metadata: Logger.Metadata = ["error": "\(error)", "peer": "\(peer)"]
        if let error = error as? SocketError,
            error.isConnectionReset || (error.isTimeout && error.operation == .receive)
        {
            logger.debug("connection handler failed", metadata: metadata)
            return
        }
        switch handlerFailures.admit(at: .now) {
        case .loud(let suppressed):
            if suppressed > 0 { metadata["suppressed"] = "\(suppressed)" }
            logger.warning("connection handler failed", metadata: metadata)
        case .quiet:
            logger.debug("connection handler failed", metadata: metadata)
        }
    }
}

/// Admits one loud log line per ``TCPServer/handlerFailureLogInterval``, from any thread,
/// counting the quiet ones between.
final class HandlerFailureLog: Sendable {
    enum Verdict: Equatable {
        /// Log it loud, with how many were logged quietly since the last loud one.
        case loud(suppressed: Int)
        case quiet
    }

    private let state = Locked<(lastLoud: ContinuousClock.Instant?, suppressed: Int)>((nil, 0))

    func admit(at now: ContinuousClock.Instant) -> Verdict {
        state.withLock { state in
            if let lastLoud = state.lastLoud, lastLoud.duration(to: now) < TCPServer.handlerFailureLogInterval {
                state.suppressed += 1
                return .quiet
            }
            defer { state = (now, 0) }
            return .loud(suppressed: state.suppressed)
        }
    }
}

/// When the accept loop pauses at the connection limit again and again, only the first
/// pause in each `TCPServer.pauseLogInterval` is logged loud.
struct PauseLog {
    private var lastLoud: ContinuousClock.Instant?

    /// The level to log a pause beginning at `now` (and its end) at.
    mutating func levelForPause(at now: ContinuousClock.Instant) -> Logger.Level {
        if let lastLoud, lastLoud.duration(to: now) < TCPServer.pauseLogInterval { return .debug }
        lastLoud = now
        return .warning
    }
}
