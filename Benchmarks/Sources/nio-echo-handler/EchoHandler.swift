import NIOCore

/// Writes every buffer it reads back to the peer, flushing once per read burst.
///
/// The connection runs with `allowRemoteHalfClosure`, so a peer that shuts down its write side
/// still gets everything echoed before the connection closes.
final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // No promise: nothing to do per write, and it saves an allocation.
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // One flush per read burst lets NIO gather the pending writes into one `writev`.
        context.flush()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case ChannelEvent.inputClosed? = event as? ChannelEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        // The peer has sent all it will. With the input closed NIO turns `close(mode: .output)`
        // into a full close, which drops writes still queued; an empty write's promise is
        // completed only after every write queued before it, so close when it completes.
        let channel = context.channel
        context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer())).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset or vanished peer ends this connection only.
        context.close(promise: nil)
    }
}
