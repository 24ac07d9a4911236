import AsyncUring
import SystemPackage

extension TCPConnection {
    /// The address this end is bound to (`getsockname`).
    public var localAddress: SocketAddress {
        get throws(SocketError) {
            try checkOpen(.localAddress)
            do { return SocketAddress(raw: try SocketSyscalls.localAddress(fd)) } catch {
                throw SocketError(.localAddress, error)
            }
        }
    }

    /// The peer's address (`getpeername`).
    public var remoteAddress: SocketAddress {
        get throws(SocketError) {
            try checkOpen(.remoteAddress)
            do { return SocketAddress(raw: try SocketSyscalls.remoteAddress(fd)) } catch {
                throw SocketError(.remoteAddress, error)
            }
        }
    }

    private func checkOpen(_ operation: SocketError.Operation) throws(SocketError) {
        if isClosed { throw SocketError(operation, .badFileDescriptor, detail: "connection closed") }
    }
}
