import ArgumentParser
import NIOCore
import NIOEchoShared
import NIOPosix

/// A SwiftNIO echo server written with `NIOAsyncChannel` and structured concurrency: one child
/// task per connection in a discarding task group.
@main
struct NIOEchoAsyncCommand: AsyncParsableCommand {
    typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    static let configuration = CommandConfiguration(
        commandName: "nio-echo-async",
        abstract: "SwiftNIO echo server with NIOAsyncChannel, a benchmark peer."
    )

    @OptionGroup var options: ServerOptions

    func run() async throws {
        let termination = await TerminationSignal()
        try await withEventLoopGroup(threads: options.threads) { group in
            try await serve(on: group, until: termination)
        }
    }

    /// Accepts and echoes connections until SIGINT or SIGTERM, then cancels them all.
    private func serve(on group: MultiThreadedEventLoopGroup, until termination: TerminationSignal) async throws {
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .bind(host: options.host, port: options.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Connection(wrappingChannelSynchronously: channel)
                }
            }
        announceListening(on: server.channel.localAddress)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await Self.accept(from: server) }
            tasks.addTask { await termination.wait() }
            // Whichever ends first, the signal or the server, ends the other. Cancelling the
            // accept loop closes the server channel and every connection still open.
            try await tasks.next()
            tasks.cancelAll()
        }
    }

    /// Accepts connections until the server channel closes or the task is cancelled.
    private static func accept(from server: NIOAsyncChannel<Connection, Never>) async throws {
        try await withThrowingDiscardingTaskGroup { connections in
            try await server.executeThenClose { inbound in
                for try await connection in inbound {
                    connections.addTask { await echo(connection) }
                }
            }
        }
    }

    /// Writes every buffer read from the connection back until the peer closes its side.
    private static func echo(_ connection: Connection) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                for try await buffer in inbound {
                    try await outbound.write(buffer)
                }
                // The peer half-closed. `executeThenClose` closes the channel fully, which drops
                // writes still queued in NIO; an empty write completes only after every write
                // queued before it, so everything is echoed before the close.
                try await connection.channel.writeAndFlush(ByteBuffer())
            }
        } catch {
            // A reset peer, or cancellation at shutdown, ends this connection only.
        }
    }
}
