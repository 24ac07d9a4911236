import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Prints `listening on HOST:PORT` for the address a server is bound to, and flushes it.
///
/// The bench runner waits for this line before it sends load. `HOST:PORT` is the address
/// actually bound, so with `--port 0` it carries the port the kernel picked. Under the runner
/// stdout is a pipe, where it is block-buffered, so the line is flushed at once.
///
/// - Parameter address: The server channel's local address.
public func announceListening(on address: SocketAddress?) {
    guard let address, let host = address.ipAddress, let port = address.port else {
        preconditionFailure("a bound server has an IP address and a port, not \(String(describing: address))")
    }
    print("listening on \(host):\(port)")
    // `fflush(nil)` flushes every output stream, stdout among them; naming the C global `stdout`
    // is not allowed under strict concurrency checking.
    fflush(nil)
}
