import SystemPackage

/// A socket operation failed.
///
/// Carries the operation and the `Errno` the kernel reported, e.g.
/// `receive failed: Connection reset by peer (errno 104)`. End of stream is not an error:
/// receives report it as `nil`.
public struct SocketError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was being done.
    public enum Operation: String, Hashable, Sendable {
        case parseAddress = "parse address"
        case resolve
        case socket
        case setOption = "set option"
        case getOption = "get option"
        case bind
        case listen
        case accept
        case connect
        case send
        case receive
        case shutdown
        case close
        /// ``TCPConnection/split()``.
        case split
        case localAddress = "local address"
        case remoteAddress = "remote address"
    }

    public var operation: Operation
    public var errno: Errno
    /// More context, e.g. which part of an address string is wrong.
    public var detail: String?

    public init(_ operation: Operation, _ errno: Errno, detail: String? = nil) {
        self.operation = operation
        self.errno = errno
        self.detail = detail
    }

    /// From a completion's negated errno.
    package init(_ operation: Operation, result: some FixedWidthInteger & SignedInteger) {
        self.init(operation, Errno(rawValue: Int32(truncatingIfNeeded: 0 - result)))
    }

    public var description: String {
        var text = "\(operation.rawValue) failed: \(errno.description) (errno \(errno.rawValue))"
        if let detail { text += ": \(detail)" }
        return text
    }

    /// True for a connection the peer reset or that broke (`ECONNRESET`, `EPIPE`).
    public var isConnectionReset: Bool {
        errno == .connectionReset || errno == .brokenPipe
    }

    /// True for a call whose timeout (or the server's idle timeout) passed (`ETIMEDOUT`).
    public var isTimeout: Bool {
        errno == .timedOut
    }
}
