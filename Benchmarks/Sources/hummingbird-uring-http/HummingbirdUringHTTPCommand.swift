import ArgumentParser
import AsyncUring
import AsyncUringHummingbird
import Hummingbird
import NIOEchoShared

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A Hummingbird 2 `Router` served over io_uring by AsyncUringHummingbird, with the routes of
/// `uring-bench http-server`: what the adapter costs over the plain server.
@main
struct HummingbirdUringHTTPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hummingbird-uring-http",
        abstract: "Hummingbird on AsyncUringHTTP, a benchmark peer.",
        discussion: """
            GET /plaintext answers `Hello, World!` (text/plain), GET /json \
            `{"message":"Hello, World!"}` (application/json), POST /echo the request body \
            (up to 1 MiB); anything else gets 404. Exits 0 after a graceful shutdown on \
            SIGINT or SIGTERM.
            """
    )

    @OptionGroup var options: ServerOptions

    static let plaintext = ByteBuffer(string: "Hello, World!")
    static let json = ByteBuffer(string: #"{"message":"Hello, World!"}"#)

    func run() async throws {
        // A peer that went away fails its send with EPIPE instead of ending the process.
        signal(SIGPIPE, SIG_IGN)
        let rings = try RingGroup(numberOfRings: options.threads)
        var configuration = UringApplicationConfiguration(host: options.host, port: options.port)
        // As `uring-bench http-server`: keep-alive connections are not cut after a number of
        // requests, and requests in flight get half a second at shutdown.
        configuration.http.maxRequestsPerConnection = .max
        configuration.http.gracePeriod = .milliseconds(500)
        let application = UringApplication(
            router: Self.makeRouter(),
            configuration: configuration,
            group: rings,
            onServerRunning: { address in
                print("listening on \(address)")
                fflush(nil)
            }
        )
        do {
            try await application.runService()
        } catch {
            await rings.shutdown()
            throw error
        }
        await rings.shutdown()
    }

    /// The benchmark's routes.
    static func makeRouter() -> Router<BasicUringRequestContext> {
        let router = Router(context: BasicUringRequestContext.self)
        router.get("plaintext") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: plaintext))
        }
        router.get("json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: json))
        }
        router.post("echo") { request, _ in
            Response(status: .ok, body: ResponseBody(byteBuffer: try await request.body.collect(upTo: 1 << 20)))
        }
        return router
    }
}
