import NIOCore

/// Sends every datagram it reads back to its sender, flushing once per read burst.
final class DatagramEchoHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // An inbound envelope's `remoteAddress` is the sender and an outbound one's is the
        // destination, so the envelope goes back unchanged, without unwrapping and rewrapping.
        // No promise: nothing to do per write, and it saves an allocation.
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // One flush per read burst lets NIO hand the pending datagrams to one `sendmmsg`.
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A datagram that could not be sent (an ICMP port unreachable surfacing as
        // `ECONNREFUSED`, a full socket buffer) concerns one peer only: the server keeps
        // serving, and NIO closes the channel itself on the errors it cannot recover from.
    }
}
