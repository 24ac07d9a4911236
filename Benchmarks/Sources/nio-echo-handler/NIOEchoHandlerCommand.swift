import ArgumentParser
import NIOCore
import NIOEchoShared
import NIOPosix

/// A SwiftNIO echo server written the way the SwiftNIO documentation teaches: a
/// `ServerBootstrap` and a `ChannelInboundHandler` per connection.
@main
struct NIOEchoHandlerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nio-echo-handler",
        abstract: "SwiftNIO echo server with a ChannelInboundHandler, a benchmark peer."
    )

    @OptionGroup var options: ServerOptions

    func run() async throws {
        let termination = await TerminationSignal()
        try await withEventLoopGroup(threads: options.threads) { group in
            try await serve(on: group, until: termination)
        }
    }

    /// Accepts and echoes connections until SIGINT or SIGTERM, then closes the server channel.
    private func serve(on group: MultiThreadedEventLoopGroup, until termination: TerminationSignal) async throws {
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(EchoHandler())
                }
            }
            .bind(host: options.host, port: options.port)
            .get()
        announceListening(on: server.localAddress)
        await termination.wait()
        // Connections still open are closed by the group's graceful shutdown.
        try await server.close()
    }
}
