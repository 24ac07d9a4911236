import Glibc
import SystemPackage

/// A socket address as the kernel reads and writes it: `sockaddr_storage` and its length.
/// The public `SocketAddress` is built on it; the C structures stay in this module.
package struct RawSocketAddress: Hashable, @unchecked Sendable {
    package enum Family: Hashable, Sendable {
        case ipv4, ipv6, unix
        case other(Int32)
    }

    var storage = sockaddr_storage()
    var length: socklen_t = 0

    init() {}

    package static func == (lhs: RawSocketAddress, rhs: RawSocketAddress) -> Bool {
        lhs.bytes == rhs.bytes
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(bytes)
    }

    /// The meaningful bytes (the first `length` of the storage).
    private var bytes: [UInt8] {
        withUnsafeBytes(of: storage) { Array($0.prefix(Int(length))) }
    }

    /// An IPv4 address from its dotted text form, or nil when it is not one.
    package init?(ipv4 text: String, port: UInt16) {
        var address = sockaddr_in()
        guard inet_pton(AF_INET, text, &address.sin_addr) == 1 else { return nil }
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        self.init(copying: address)
    }

    /// An IPv6 address from its text form (no brackets), or nil when it is not one.
    package init?(ipv6 text: String, port: UInt16, scopeID: UInt32 = 0) {
        var address = sockaddr_in6()
        guard inet_pton(AF_INET6, text, &address.sin6_addr) == 1 else { return nil }
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = port.bigEndian
        address.sin6_scope_id = scopeID
        self.init(copying: address)
    }

    /// A Unix domain socket path; nil when it does not fit `sun_path` (with its NUL).
    package init?(unixPath path: String) {
        var address = sockaddr_un()
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity, !bytes.contains(0) else { return nil }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        self.init(copying: address)
        length = socklen_t(Self.unixPathOffset + bytes.count + 1)
    }

    /// A Unix domain name in the abstract namespace (Linux): `sun_path` begins with a NUL
    /// byte and the name is the `length` bytes after it, no terminator, no file. nil when it
    /// is empty or does not fit (at most 107 bytes). See unix(7).
    package init?(abstractUnixName name: String) {
        var address = sockaddr_un()
        let bytes = Array(name.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity else { return nil }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0[1...].copyBytes(from: bytes) }
        self.init(copying: address)
        length = socklen_t(Self.unixPathOffset + 1 + bytes.count)
    }

    private static let unixPathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!

    private init<Address>(copying address: Address) {
        withUnsafeMutableBytes(of: &storage) { target in
            withUnsafeBytes(of: address) { target.copyMemory(from: $0) }
        }
        length = socklen_t(MemoryLayout<Address>.size)
    }

    package var family: Family {
        switch Int32(storage.ss_family) {
        case AF_INET: .ipv4
        case AF_INET6: .ipv6
        case AF_UNIX: .unix
        case let other: .other(other)
        }
    }

    package var port: UInt16? {
        switch family {
        case .ipv4: UInt16(bigEndian: reinterpret(sockaddr_in.self).sin_port)
        case .ipv6: UInt16(bigEndian: reinterpret(sockaddr_in6.self).sin6_port)
        default: nil
        }
    }

    /// The host part in text form (`127.0.0.1`, `::1`) or the Unix path.
    package var host: String {
        switch family {
        case .ipv4:
            let address = reinterpret(sockaddr_in.self).sin_addr
            return withUnsafeBytes(of: address) { Self.text(family: AF_INET, $0) }
        case .ipv6:
            let address = reinterpret(sockaddr_in6.self).sin6_addr
            return withUnsafeBytes(of: address) { Self.text(family: AF_INET6, $0) }
        case .unix:
            if let name = abstractUnixName { return "@" + name }
            return unixPath ?? ""
        case .other(let family):
            return "<address family \(family)>"
        }
    }

    /// The path of a Unix domain address bound to a file; nil for other addresses, for an
    /// abstract name and for an unnamed socket (a client that did not bind).
    package var unixPath: String? {
        guard family == .unix else { return nil }
        let bytes = unixPathBytes
        guard let first = bytes.first, first != 0 else { return nil }
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The name of a Unix domain address in the abstract namespace, without its leading NUL.
    package var abstractUnixName: String? {
        guard family == .unix else { return nil }
        let bytes = unixPathBytes
        guard bytes.count > 1, bytes.first == 0 else { return nil }
        return String(decoding: bytes.dropFirst(), as: UTF8.self)
    }

    /// The meaningful bytes of `sun_path`: as many as `length` counts.
    private var unixPathBytes: [UInt8] {
        let count = max(0, min(Int(length) - Self.unixPathOffset, MemoryLayout<sockaddr_un>.size - Self.unixPathOffset))
        let path = reinterpret(sockaddr_un.self).sun_path
        return withUnsafeBytes(of: path) { Array($0.prefix(count)) }
    }

    private func reinterpret<Address>(_ type: Address.Type) -> Address {
        withUnsafeBytes(of: storage) { $0.loadUnaligned(as: Address.self) }
    }

    private static func text(family: Int32, _ address: UnsafeRawBufferPointer) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(family, address.baseAddress, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        withUnsafeBytes(of: storage) { body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), length) }
    }

    /// Copies this address into memory the kernel reads (an operation's state object).
    func copy(to target: UnsafeMutablePointer<sockaddr_storage>, length targetLength: UnsafeMutablePointer<socklen_t>) {
        target.pointee = storage
        targetLength.pointee = length
    }
}
