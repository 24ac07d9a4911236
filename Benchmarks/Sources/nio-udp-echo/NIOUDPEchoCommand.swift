import ArgumentParser
import NIOCore
import NIOEchoShared
import NIOPosix

/// A SwiftNIO UDP echo server: a `DatagramBootstrap` and a `ChannelInboundHandler` on one
/// event loop thread, the peer of `uring-bench`'s UDP echo server.
@main
struct NIOUDPEchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nio-udp-echo",
        abstract: "SwiftNIO UDP echo server on one event loop thread, a benchmark peer."
    )

    /// Datagrams read per read event, each `recvmmsg` or `recvmsg`, before NIO returns to the
    /// event loop: enough for a burst, few enough to keep the pending writes short.
    static let messagesPerRead = 16

    /// The receive buffer slot for one datagram, the buffer NIO gives a datagram channel by
    /// default. NIO cuts longer datagrams to the slot without saying so, and the server echoes
    /// what it got; the load generator's datagrams (64 bytes by default) fit.
    static let datagramCapacity = 2048

    @OptionGroup var options: ServerOptions

    /// Rejects `--threads` (`--rings`) other than 1: one datagram socket is served by one event
    /// loop, so further threads would stand idle.
    func validate() throws {
        guard options.threads == 1 else {
            throw ValidationError(
                "a UDP socket is served by one event loop: --threads must be 1, not \(options.threads)"
            )
        }
    }

    func run() async throws {
        let termination = await TerminationSignal()
        try await withEventLoopGroup(threads: 1) { group in
            try await serve(on: group, until: termination)
        }
    }

    /// Echoes datagrams until SIGINT or SIGTERM, then closes the channel.
    private func serve(on group: MultiThreadedEventLoopGroup, until termination: TerminationSignal) async throws {
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.maxMessagesPerRead, value: UInt(Self.messagesPerRead))
            // Vector reads take up to `messagesPerRead` datagrams in one `recvmmsg`.
            .channelOption(.datagramVectorReadMessageCount, value: Self.messagesPerRead)
            // A vector read splits one receive buffer into equal slots, one per datagram, so the
            // buffer holds a full slot for each; NIO's default of 2048 bytes would leave 128.
            .channelOption(
                .recvAllocator,
                value: FixedSizeRecvByteBufferAllocator(capacity: Self.messagesPerRead * Self.datagramCapacity)
            )
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DatagramEchoHandler())
                }
            }
            .bind(host: options.host, port: options.port)
            .get()
        announceListening(on: channel.localAddress)
        await termination.wait()
        try await channel.close()
    }
}
