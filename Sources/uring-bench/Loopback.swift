import Glibc

/// Plain socket calls on 127.0.0.1, for the servers that do not announce their port.
enum Loopback {
    /// A port no socket is bound to right now: bind port 0, read the port, close. The C
    /// servers set `SO_REUSEADDR`, and a socket that never connected leaves no TIME_WAIT.
    /// TCP and UDP ports are separate name spaces: ask for the one the server will bind.
    static func freePort(datagram: Bool = false) -> Int? {
        let type = datagram ? SOCK_DGRAM : SOCK_STREAM
        let fd = socket(AF_INET, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = address(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
            }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }

    /// Whether a connection to 127.0.0.1:`port` succeeds now; it is closed at once.
    static func acceptsConnection(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = address(port: port)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// Whether a datagram sent to 127.0.0.1:`port` comes back within `timeoutMilliseconds`
    /// (an echo server is bound and running). The socket is connected, so a port nobody
    /// has bound yet reports `ECONNREFUSED` at once instead of waiting out the timeout.
    static func answersDatagram(port: Int, timeoutMilliseconds: Int32 = 50) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = address(port: port)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        let probe: [UInt8] = Array("uring-bench probe".utf8)
        guard connected, probe.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == probe.count else {
            return false
        }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, timeoutMilliseconds) == 1 else { return false }
        var reply = [UInt8](repeating: 0, count: 64)
        let received = reply.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return received == probe.count
    }

    private static func address(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(truncatingIfNeeded: port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian  // 127.0.0.1
        return address
    }
}
