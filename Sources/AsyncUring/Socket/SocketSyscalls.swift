internal import CLiburing
import Glibc
import SystemPackage

/// The synchronous socket calls that have no io_uring operation in the kernels we support
/// (socket set-up, options, names). Each returns or throws the errno, retrying `EINTR`.
package enum SocketSyscalls {
    package static func makeSocket(
        family: RawSocketAddress.Family,
        type: Int32 = Int32(SOCK_STREAM.rawValue)
    )
        throws(Errno) -> Int32
    {
        let domain: Int32
        switch family {
        case .ipv4: domain = AF_INET
        case .ipv6: domain = AF_INET6
        case .unix: domain = AF_UNIX
        case .other(let value): domain = value
        }
        return try retrying { socket(domain, type | Int32(SOCK_CLOEXEC.rawValue), 0) }
    }

    package static func bind(_ fd: Int32, to address: RawSocketAddress) throws(Errno) {
        _ = try retrying { address.withSockaddr { Glibc.bind(fd, $0, $1) } }
    }

    package static func listen(_ fd: Int32, backlog: Int32) throws(Errno) {
        _ = try retrying { Glibc.listen(fd, backlog) }
    }

    /// Blocking connect for set-up in tests and tools; the async path is `IORING_OP_CONNECT`.
    package static func connect(_ fd: Int32, to address: RawSocketAddress) throws(Errno) {
        _ = try retrying { address.withSockaddr { Glibc.connect(fd, $0, $1) } }
    }

    package static func setOption(_ fd: Int32, level: Int32, name: Int32, value: Int32) throws(Errno) {
        var value = value
        _ = try retrying { setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) }
    }

    package static func option(_ fd: Int32, level: Int32, name: Int32) throws(Errno) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = try retrying { getsockopt(fd, level, name, &value, &length) }
        return value
    }

    /// `SO_LINGER` with a zero timeout: close sends a reset instead of a FIN.
    package static func setLingerZero(_ fd: Int32) throws(Errno) {
        var value = linger(l_onoff: 1, l_linger: 0)
        _ = try retrying { setsockopt(fd, SOL_SOCKET, SO_LINGER, &value, socklen_t(MemoryLayout<linger>.size)) }
    }

    /// `shutdown(2)` of the reading direction, which never blocks: a read half's close needs
    /// no request of its own (the connection's one control request may be a write half's
    /// `IORING_OP_SHUTDOWN` in flight).
    package static func shutdownReading(_ fd: Int32) throws(Errno) {
        _ = try retrying { Glibc.shutdown(fd, Int32(SHUT_RD)) }
    }

    package static func localAddress(_ fd: Int32) throws(Errno) -> RawSocketAddress {
        try name(fd, getsockname)
    }

    package static func remoteAddress(_ fd: Int32) throws(Errno) -> RawSocketAddress {
        try name(fd, getpeername)
    }

    private static func name(
        _ fd: Int32,
        _ call: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32
    ) throws(Errno) -> RawSocketAddress {
        var address = RawSocketAddress()
        address.length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ret = withUnsafeMutableBytes(of: &address.storage) { bytes in
            call(fd, bytes.baseAddress!.assumingMemoryBound(to: sockaddr.self), &address.length)
        }
        guard ret == 0 else { throw Errno(rawValue: errno) }
        return address
    }

    /// A failed name lookup: the errno closest to getaddrinfo's code, and its message.
    package struct ResolveFailure: Error {
        package var errno: Errno
        package var message: String
    }

    /// Blocking getaddrinfo for stream sockets; call it off the ring threads.
    package static func resolve(host: String, port: UInt16) -> Result<[RawSocketAddress], ResolveFailure> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let ret = getaddrinfo(host, String(port), &hints, &list)
        guard ret == 0 else {
            let code = ret == EAI_SYSTEM ? Errno(rawValue: errno) : .noSuchFileOrDirectory
            return .failure(ResolveFailure(errno: code, message: String(cString: gai_strerror(ret))))
        }
        defer { freeaddrinfo(list) }
        var addresses: [RawSocketAddress] = []
        var entry = list
        while let current = entry?.pointee {
            if let sockaddr = current.ai_addr, current.ai_addrlen <= socklen_t(MemoryLayout<sockaddr_storage>.size) {
                var address = RawSocketAddress()
                withUnsafeMutableBytes(of: &address.storage) { target in
                    target.copyMemory(from: UnsafeRawBufferPointer(start: sockaddr, count: Int(current.ai_addrlen)))
                }
                address.length = current.ai_addrlen
                addresses.append(address)
            }
            entry = current.ai_next
        }
        return .success(addresses)
    }

    /// Closes synchronously; for descriptors no request was ever submitted on.
    /// The number of descriptors this process has open, from /proc/self/fd; nil when it
    /// cannot be read.
    package static func openDescriptorCount() -> Int? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        // SAFETY: each entry is valid until the next readdir; only the first byte of its
        // name is read, to skip "." and "..".
        while let entry = readdir(directory) {
            if entry.pointee.d_name.0 != CChar(UInt8(ascii: ".")) { count += 1 }
        }
        return count - 1  // the directory's own descriptor
    }

    /// A close-on-exec duplicate of `fd` (`F_DUPFD_CLOEXEC`), which the caller closes.
    package static func duplicate(_ fd: Int32) throws(Errno) -> Int32 {
        try retrying { fcntl(fd, F_DUPFD_CLOEXEC, 0) }
    }

    package static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    private static func retrying(_ call: () -> Int32) throws(Errno) -> Int32 {
        while true {
            let ret = call()
            if ret >= 0 { return ret }
            if errno != EINTR { throw Errno(rawValue: errno) }
        }
    }
}
