import AsyncUring
import Dispatch
import SystemPackage

/// An IPv4, IPv6 or Unix domain socket address.
///
/// Parses `"127.0.0.1:8080"`, `"[::1]:8080"`, `"unix:/path"` and `"unix:@name"` (a name in
/// Linux's abstract namespace, written with a leading `@` as `ss`, systemd and Go write it);
/// `description` gives the same forms back.
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address family.
    public enum Family: Hashable, Sendable {
        case ipv4, ipv6, unix
    }

    package let raw: RawSocketAddress

    package init(raw: RawSocketAddress) {
        self.raw = raw
    }

    /// An IPv4 address in dotted form and a port.
    /// - Throws: ``SocketError`` (`EINVAL`) when `address` is not an IPv4 address or the port
    ///   is outside 0...65535.
    public init(ipv4 address: String, port: Int) throws(SocketError) {
        let port = try Self.validPort(port)
        guard let raw = RawSocketAddress(ipv4: address, port: port) else {
            throw Self.parseError("'\(address)' is not an IPv4 address")
        }
        self.raw = raw
    }

    /// An IPv6 address (without brackets) and a port.
    public init(ipv6 address: String, port: Int) throws(SocketError) {
        let port = try Self.validPort(port)
        guard let raw = RawSocketAddress(ipv6: address, port: port) else {
            throw Self.parseError("'\(address)' is not an IPv6 address")
        }
        self.raw = raw
    }

    /// A Unix domain socket path.
    /// - Throws: ``SocketError`` (`ENAMETOOLONG`) when the path does not fit `sun_path`, or
    ///   (`EINVAL`) when it is empty or contains a NUL byte.
    public init(unixPath path: String) throws(SocketError) {
        guard let raw = RawSocketAddress(unixPath: path) else {
            let tooLong = path.utf8.count >= 108
            throw SocketError(
                .parseAddress,
                tooLong ? .fileNameTooLong : .invalidArgument,
                detail: tooLong ? "Unix socket path longer than 107 bytes" : "empty path or NUL byte in path"
            )
        }
        self.raw = raw
    }

    /// A Unix domain socket name in Linux's abstract namespace: no file is made, the name
    /// vanishes with the last socket bound to it, and file permissions do not apply (any
    /// process in the same network namespace may connect). See unix(7).
    ///
    /// ```swift
    /// let address = try SocketAddress(abstractUnixName: "my-daemon")  // "unix:@my-daemon"
    /// ```
    ///
    /// - Parameter name: the name without the leading NUL byte the kernel sees (nor the `@`
    ///   it is written with); every byte of it counts, none ends it.
    /// - Throws: ``SocketError`` (`ENAMETOOLONG`) when the name is longer than 107 bytes, or
    ///   (`EINVAL`) when it is empty.
    public init(abstractUnixName name: String) throws(SocketError) {
        guard let raw = RawSocketAddress(abstractUnixName: name) else {
            let tooLong = !name.isEmpty
            throw SocketError(
                .parseAddress,
                tooLong ? .fileNameTooLong : .invalidArgument,
                detail: tooLong ? "abstract Unix socket name longer than 107 bytes" : "empty abstract Unix socket name"
            )
        }
        self.raw = raw
    }

    /// An IP address literal with a port (`"127.0.0.1:8080"`, `"[::1]:8080"`) or
    /// `"unix:PATH"`, or `"unix:@NAME"` for a name in the abstract namespace (see
    /// ``init(abstractUnixName:)``; a file whose path begins with `@` is `"unix:./@NAME"`).
    /// Host names are not resolved here: see ``resolve(host:port:)``.
    public init(_ text: String) throws(SocketError) {
        if text.hasPrefix("unix:@") {
            try self.init(abstractUnixName: String(text.dropFirst("unix:@".count)))
            return
        }
        if text.hasPrefix("unix:") {
            try self.init(unixPath: String(text.dropFirst("unix:".count)))
            return
        }
        let (host, port, isBracketed) = try Self.splitHostPort(text)
        if isBracketed {
            try self.init(ipv6: String(host), port: port)
        } else {
            try self.init(ipv4: String(host), port: port)
        }
    }

    /// Splits `"HOST:PORT"` or `"[HOST]:PORT"` (IPv6 literals need the brackets).
    static func splitHostPort(_ text: String) throws(SocketError) -> (host: Substring, port: Int, isBracketed: Bool) {
        let host: Substring
        let portText: Substring
        let isBracketed = text.hasPrefix("[")
        if isBracketed {
            guard let close = text.firstIndex(of: "]") else { throw Self.parseError("missing ']' in '\(text)'") }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw Self.parseError("missing ':PORT' after ']' in '\(text)'") }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw Self.parseError("missing ':PORT' in '\(text)'") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { throw Self.parseError("IPv6 addresses need brackets: '[\(host)]:PORT'") }
        }
        guard !portText.isEmpty, portText.allSatisfy(\.isASCII), portText.allSatisfy(\.isNumber),
            portText.count <= 5, let port = Int(portText)
        else { throw Self.parseError("'\(portText)' is not a port number") }
        return (host, port, isBracketed)
    }

    /// Resolves a host name (or literal) with getaddrinfo, off the ring threads.
    /// - Returns: the stream-socket addresses, in the resolver's order.
    @concurrent
    public static func resolve(host: String, port: Int) async throws(SocketError) -> [SocketAddress] {
        let port = try validPort(port)
        if let raw = RawSocketAddress(ipv4: host, port: port) ?? RawSocketAddress(ipv6: host, port: port) {
            return [SocketAddress(raw: raw)]
        }
        let result = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: SocketSyscalls.resolve(host: host, port: port))
            }
        }
        switch result {
        case .success(let addresses): return addresses.map(SocketAddress.init(raw:))
        case .failure(let failure): throw SocketError(.resolve, failure.errno, detail: "\(host): \(failure.message)")
        }
    }

    public var family: Family {
        switch raw.family {
        case .ipv4: .ipv4
        case .ipv6: .ipv6
        default: .unix
        }
    }

    /// The address in text form (`127.0.0.1`, `::1`), the Unix path, or `@NAME` for an
    /// abstract Unix name (empty for an unnamed Unix socket, such as a client's own end).
    public var host: String { raw.host }

    /// The file path of a Unix domain address; nil for IP addresses, abstract names and
    /// unnamed sockets.
    public var unixPath: String? { raw.unixPath }

    /// The name of a Unix domain address in the abstract namespace, without the `@`; nil for
    /// other addresses.
    public var abstractUnixName: String? { raw.abstractUnixName }

    /// The port of an IP address; nil for Unix domain addresses.
    public var port: Int? { raw.port.map(Int.init) }

    public var description: String {
        switch family {
        case .ipv4: "\(host):\(port ?? 0)"
        case .ipv6: "[\(host)]:\(port ?? 0)"
        // A relative path beginning with `@` is written `./@...`: `unix:@` means an abstract name.
        case .unix: unixPath?.hasPrefix("@") == true ? "unix:./\(host)" : "unix:\(host)"
        }
    }

    private static func validPort(_ port: Int) throws(SocketError) -> UInt16 {
        guard let value = UInt16(exactly: port) else { throw parseError("port \(port) is outside 0...65535") }
        return value
    }

    private static func parseError(_ detail: String) -> SocketError {
        SocketError(.parseAddress, .invalidArgument, detail: detail)
    }
}
