import AsyncUring
import AsyncUringSocket
import CoreMetrics
import HTTPTypes
import Logging
import ServiceLifecycle
import Synchronization

/// An HTTP/1.1 server on `TCPServer`: each connection's requests are read, answered by the
/// handler and written back on the connection's ring thread.
///
/// ```swift
/// let server = HTTPServer(listener: try TCPListener.bind(port: 8080)) { request in
///     HTTPServerResponse(status: .ok, headerFields: [.contentType: "text/plain"], body: .init("Hello, World!"))
/// }
/// try await server.run()
/// ```
///
/// Keep-alive and pipelining: a connection serves requests one after the other, and the
/// responses to the requests of one read leave in one send. Request bodies (`Content-Length`
/// or chunked) are read as the handler reads them; responses carry bytes or a stream
/// (``HTTPResponseBody/stream(length:_:)``, chunked when its length is unknown). `HEAD`,
/// `Expect: 100-continue`, HTTP/1.0 and `Connection: close` are handled per RFC 9112.
///
/// Hostile or broken peers: a malformed request is answered with its status (400, 413,
/// 414, 417, 431, 501, 505; see ``HTTPRequestError``) and the connection closed; a head
/// that does not arrive within ``HTTPServerConfiguration/headerTimeout`` gets 408; idle
/// connections close after ``HTTPServerConfiguration/idleTimeout``. A handler that throws
/// gets its request a 500 (an ``HTTPRequestError`` its own status) and the connection
/// closed.
///
/// Graceful shutdown (``triggerGracefulShutdown()`` or a `ServiceGroup`'s): the listener
/// closes, idle connections close at once, requests in flight finish (their responses say
/// `Connection: close`) within ``HTTPServerConfiguration/gracePeriod``.
///
/// Metrics (swift-metrics): `http_server_requests_total` by `status`, and the timer
/// `http_server_request_duration_seconds`, from the head's arrival to the response's end.
public final class HTTPServer: Service, Sendable {
    /// Answers one request; runs on the connection's ring thread.
    ///
    /// In a module built without the `NonisolatedNonsendingByDefault` feature, mark the
    /// async functions a handler calls `nonisolated(nonsending)`: a plain `nonisolated async`
    /// function is entered with a task switch (through the task's executor preference) and
    /// left with another, on every request.
    public typealias Handler = @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse

    public let listener: TCPListener
    public let configuration: HTTPServerConfiguration
    let handler: Handler
    let logger: Logger
    private let tcpServer: TCPServer
    private let shuttingDown = Atomic<Bool>(false)
    /// The connections being served, for the graceful shutdown to close the idle ones.
    private let connections = Locked<[ObjectIdentifier: HTTPConnectionContext]>([:])
    private let metrics: HTTPServerMetrics

    /// - Parameters:
    ///   - listener: where connections come from.
    ///   - configuration: limits, timeouts and shutdown.
    ///   - logger: connections refused or failed, handler failures.
    ///   - metricsFactory: where the metrics go; by default the bootstrapped `MetricsSystem`.
    ///   - handler: answers each request.
    public init(
        listener: TCPListener,
        configuration: HTTPServerConfiguration = HTTPServerConfiguration(),
        logger: Logger = Logger(label: "AsyncUringHTTP.HTTPServer"),
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        handler: @escaping Handler
    ) {
        metrics = HTTPServerMetrics(factory: metricsFactory)
        self.listener = listener
        self.configuration = configuration
        self.handler = handler
        self.logger = logger
        // Set below, once self can be captured.
        let serveBox = ServeBox()
        tcpServer = TCPServer(
            listener: listener,
            gracePeriod: configuration.gracePeriod,
            maxConnections: configuration.maxConnections,
            logger: logger
        ) { connection in
            try await serveBox.serve?(connection)
        }
        serveBox.serve = { [unowned self] connection in try await self.serve(connection) }
    }

    /// Where the server listens.
    public var localAddress: SocketAddress { listener.localAddress }

    /// Connections being served.
    public var openConnections: Int { tcpServer.openConnections }

    /// Serves until a graceful shutdown completes or the task is cancelled.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup { tasks in
                tasks.addTask { try await self.tcpServer.run() }
                tasks.addTask(executorPreference: self.listener.ring) { await self.sweepTimeouts() }
                // The TCP server ended (or failed): the sweep ends with it.
                defer { tasks.cancelAll() }
                try await tasks.next()
            }
        } onGracefulShutdown: {
            self.triggerGracefulShutdown()
        }
    }

    /// Stops accepting, closes idle connections, and lets requests in flight finish within
    /// the grace period.
    public func triggerGracefulShutdown() {
        guard !shuttingDown.exchange(true, ordering: .acquiringAndReleasing) else { return }
        tcpServer.triggerGracefulShutdown()
        onEachRing { $0.interruptIfIdle() }
    }

    /// Runs `body` on every connection being served, on the connection's ring: one job per
    /// ring.
    private func onEachRing(_ body: @escaping @Sendable (HTTPConnectionContext) -> Void) {
        let contexts = connections.withLock { Array($0.values) }
        for (_, onRing) in Dictionary(grouping: contexts, by: { ObjectIdentifier($0.connection.ring) }) {
            onRing[0].connection.ring.execute {
                for context in onRing { body(context) }
            }
        }
    }

    /// How often the server looks for receives whose timeout passed: a quarter of the
    /// shortest timeout, between 5 ms and 1 s. A timeout ends up to this much late.
    var sweepInterval: Duration {
        let shortest = min(configuration.headerTimeout, configuration.idleTimeout, configuration.bodyTimeout)
        return min(max(shortest / 4, .milliseconds(5)), .seconds(1))
    }

    /// Ends, every ``sweepInterval``, the receives whose timeout passed; returns when
    /// cancelled. It runs and sleeps on the listener's ring: out of descriptors, work on the
    /// global executor can kill the process (libdispatch's worker monitor traps when it
    /// cannot open /proc), and this runs every few milliseconds.
    private func sweepTimeouts() async {
        while (try? await Task.sleep(for: sweepInterval, clock: .ring)) != nil {
            onEachRing { $0.sweep(now: .now) }
        }
    }

    private var isShuttingDown: Bool { shuttingDown.load(ordering: .acquiring) }

    // MARK: Serving a connection

    private func serve(_ connection: TCPConnection) async throws {
        connection.sendRoomTimeout = configuration.sendTimeout
        let context = HTTPConnectionContext(connection: connection, configuration: configuration)
        let id = ObjectIdentifier(context)
        connections.withLock { $0[id] = context }
        defer { _ = connections.withLock { $0.removeValue(forKey: id) } }
        var served = 0
        while true {
            let head: HTTPRequestHead
            do {
                guard let next = try await context.readHead(shuttingDown: { self.isShuttingDown }) else { break }
                head = next
            } catch let error as HTTPRequestError {
                try await refuse(error, on: context)
                return
            }
            served += 1
            let start = ContinuousClock.now
            let wantsKeepAlive =
                head.keepAlive && served < configuration.maxRequestsPerConnection && !isShuttingDown
            let keepAlive = try await respond(to: head, on: context, keepAlive: wantsKeepAlive)
            metrics.recordDuration(start.duration(to: .now))
            guard keepAlive, context.bodyFinished else {
                try await context.flush()
                if !context.bodyFinished || !context.reader.buffer.isEmpty { await linger(context) }
                return
            }
        }
        try await context.flush()
    }

    /// Runs the handler for `head` and writes its response.
    /// - Returns: whether the connection may serve another request.
    private func respond(
        to head: HTTPRequestHead,
        on context: HTTPConnectionContext,
        keepAlive: Bool
    ) async throws
        -> Bool
    {
        let request = context.beginRequest(head)
        defer { context.endRequest() }
        var keepAlive = keepAlive
        var response: HTTPServerResponse
        do {
            response = try await handler(request)
        } catch is CancellationError {
            // The grace period of a shutdown ran out: the connection ends unanswered.
            throw CancellationError()
        } catch {
            response = failureResponse(for: error, head: head, context: context)
            keepAlive = false
        }
        if response.head.headerFields[.connection]?.lowercased() == "close" || isShuttingDown { keepAlive = false }
        // A body the handler left unread: skipped when it is buffered, else the connection
        // closes after the response. A streamed response's writer may still read it.
        if case .bytes = response.body.content, !context.skipBufferedBody() { keepAlive = false }
        keepAlive = try await write(response, for: head, keepAlive: keepAlive, on: context)
        return keepAlive && context.skipBufferedBody()
    }

    /// The response to a handler's failure: an ``HTTPRequestError``'s status (the body was
    /// malformed or too large), else 500.
    private func failureResponse(
        for error: any Error,
        head: HTTPRequestHead,
        context: HTTPConnectionContext
    )
        -> HTTPServerResponse
    {
        let peer = context.connection.peerDescription
        let status: HTTPResponse.Status
        if let error = error as? HTTPRequestError {
            status = error.status
            logger.debug("request refused", metadata: ["error": "\(error)", "peer": "\(peer)"])
        } else {
            status = .internalServerError
            logger.warning(
                "request handler failed",
                metadata: [
                    "error": "\(error)", "peer": "\(peer)", "method": "\(head.request.method)",
                    "path": "\(head.request.path ?? "")",
                ]
            )
        }
        return HTTPServerResponse(status: status)
    }

    /// Writes the head and body of `response`.
    /// - Returns: whether the connection may serve another request.
    private func write(
        _ response: HTTPServerResponse,
        for request: HTTPRequestHead,
        keepAlive: Bool,
        on context: HTTPConnectionContext
    ) async throws -> Bool {
        var keepAlive = keepAlive
        let status = response.head.status
        metrics.countRequest(status: status.code)
        let omitsBody = request.request.method == .head || HTTPResponseEncoding.statusForbidsBody(status)
        let length = response.body.knownLength
        let framing: HTTPResponseBodyWriter.Framing
        if omitsBody {
            framing = .none
        } else if let length {
            framing = .length(length)
        } else if request.minorVersion == 1 {
            framing = .chunked
        } else {
            framing = .untilClose
            keepAlive = false
        }
        let contentLength = HTTPResponseEncoding.statusForbidsBody(status) ? nil : length
        HTTPResponseEncoding.appendHead(
            response.head,
            framing: framing,
            contentLength: contentLength,
            keepAlive: keepAlive,
            minorVersion: request.minorVersion,
            date: context.date.now(),
            to: &context.output
        )
        switch response.body.content {
        case .bytes(let bytes):
            if omitsBody || bytes.isEmpty { break }
            if bytes.count > Self.copyLimit {
                try await context.send(bytes)
            } else {
                context.output.append(contentsOf: bytes)
            }
        case .stream(_, let writeBody):
            if omitsBody { break }
            var writer = HTTPResponseBodyWriter(connection: context, framing: framing)
            do {
                try await writeBody(&writer)
                try await writer.finish()
            } catch {
                // The head is out: all that can be done is to end the connection.
                logger.warning(
                    "response body writer failed",
                    metadata: ["error": "\(error)", "peer": "\(context.connection.peerDescription)"]
                )
                return false
            }
        }
        return keepAlive
    }

    /// Response bodies up to this size are copied into the output buffer; larger ones are
    /// sent as they are, beside it.
    static let copyLimit = 16 << 10

    /// Answers a refused request head and ends the connection.
    private func refuse(_ error: HTTPRequestError, on context: HTTPConnectionContext) async throws {
        logger.debug(
            "request refused",
            metadata: ["error": "\(error)", "peer": "\(context.connection.peerDescription)"]
        )
        let response = HTTPServerResponse(
            status: error.status,
            headerFields: [.contentType: "text/plain"],
            body: HTTPResponseBody(error.reason.rawValue + "\n")
        )
        let head = HTTPRequestHead(
            request: HTTPRequest(method: .get, scheme: nil, authority: nil, path: nil),
            minorVersion: 1,
            framing: .none,
            keepAlive: false,
            expectsContinue: false
        )
        _ = try await write(response, for: head, keepAlive: false, on: context)
        try await context.flush()
        await linger(context)
    }

    /// Before closing a connection whose peer may still be sending: sends what is queued,
    /// ends the sending direction, and reads and drops what arrives until the peer closes
    /// or the linger timeout passes, so the close does not reset the connection and lose
    /// the response.
    private func linger(_ context: HTTPConnectionContext) async {
        let connection = context.connection
        let deadline = ContinuousClock.now + configuration.lingerTimeout
        do {
            try await connection.flush(timeout: configuration.lingerTimeout)
            try await connection.shutdown(.write)
            while case let remaining = ContinuousClock.now.duration(to: deadline), remaining > .zero {
                guard try await connection.receiveBytes(timeout: remaining) != nil else { return }
            }
        } catch {
            // Timed out, reset, or closed: the connection ends either way.
        }
    }
}

/// Carries the serve function into the TCP server's handler, made before `self` exists.
private final class ServeBox: @unchecked Sendable {
    // Set once in HTTPServer.init, before the TCP server runs.
    var serve: (@Sendable (TCPConnection) async throws -> Void)?
}

extension TCPConnection {
    /// The peer's address for a log line.
    var peerDescription: String {
        (try? remoteAddress).map { "\($0)" } ?? "unknown"
    }
}
