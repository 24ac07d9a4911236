import ArgumentParser
import Hummingbird
import Logging
import NIOCore
import NIOEchoShared
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A Hummingbird 2 HTTP/1.1 server on SwiftNIO, the HTTP peer of `uring-bench http-run`.
///
/// It serves the routes every server of that benchmark serves: `GET /plaintext`, `GET /json`
/// and `POST /echo`; anything else gets 404. It runs on one event loop thread unless
/// `--threads` (alias `--rings`, so the runner starts every server with the same flags) says
/// otherwise, prints `listening on HOST:PORT` once bound, and stops on SIGINT or SIGTERM.
@main
struct HummingbirdNIOHTTPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hummingbird-nio-http",
        abstract: "Hummingbird 2 HTTP server on SwiftNIO, a benchmark peer."
    )

    @OptionGroup var options: ServerOptions

    func run() async throws {
        // A client that closes while a response is written must end its connection only.
        signal(SIGPIPE, SIG_IGN)
        try await withEventLoopGroup(threads: options.threads) { group in
            let application = Application(
                router: Self.makeRouter(),
                configuration: ApplicationConfiguration(address: .hostname(options.host, port: options.port)),
                onServerRunning: { channel in announceListening(on: channel.localAddress) },
                eventLoopGroupProvider: .shared(group),
                logger: Self.makeLogger()
            )
            // Graceful shutdown on SIGINT and SIGTERM: stop accepting, finish the requests in
            // flight, close the connections.
            try await application.runService(gracefulShutdownSignals: [.sigint, .sigterm])
        }
    }

    /// The benchmark's routes; the router answers 404 to anything else.
    static func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/plaintext") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "Hello, World!"))
            )
        }
        router.get("/json") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"message":"Hello, World!"}"#))
            )
        }
        router.post("/echo") { request, _ in
            let body = try await request.body.collect(upTo: maximumEchoBytes)
            return Response(
                status: .ok,
                headers: [.contentType: "application/octet-stream"],
                body: ResponseBody(byteBuffer: body)
            )
        }
        return router
    }

    /// The largest request body `POST /echo` takes; a larger one gets 413.
    static let maximumEchoBytes = 16 * 1024 * 1024

    /// Warnings and errors only: a line per request would cost more than the request.
    static func makeLogger() -> Logger {
        var logger = Logger(label: "hummingbird-nio-http")
        logger.logLevel = .warning
        return logger
    }
}
