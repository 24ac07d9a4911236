import AsyncUring
import Glibc

/// A socket option of a connection or listener.
public enum SocketOption: Hashable, Sendable {
    /// `TCP_NODELAY`: send small segments at once (on by default for connections).
    case noDelay(Bool)
    /// `SO_KEEPALIVE`: probe idle connections.
    case keepAlive(Bool)
    /// `TCP_KEEPIDLE`: seconds of idleness before the first keep-alive probe.
    case keepAliveIdle(seconds: Int)
    /// `SO_RCVBUF` in bytes (the kernel doubles it).
    case receiveBufferSize(Int)
    /// `SO_SNDBUF` in bytes (the kernel doubles it).
    case sendBufferSize(Int)
    /// `SO_LINGER` with a zero timeout: closing sends a reset (RST) instead of a FIN and drops
    /// unsent data, the bytes still in the connection's send queue included.
    case resetOnClose
    /// `UDP_SEGMENT` (generic segmentation offload, UDP only): each send of more bytes than
    /// `bytes` leaves as datagrams of `bytes` each (the last shorter), cut by the kernel
    /// below the socket layer: one request for up to 64 of them. 0 turns it off.
    case udpSegmentSize(Int)
    /// `UDP_GRO` (generic receive offload, UDP only): the kernel may hand over several
    /// datagrams of one sender in one buffer; `UDPSocket.receive` still gives them one by one.
    /// Needs receive buffers that hold 64 KiB: see `UDPSocket.setOption(_:)`.
    case udpReceiveOffload(Bool)

    /// An option's name, to read its value.
    public enum Name: Hashable, Sendable {
        case noDelay, keepAlive, keepAliveIdle, receiveBufferSize, sendBufferSize, resetOnClose
        case udpSegmentSize, udpReceiveOffload
    }

    var name: Name {
        switch self {
        case .noDelay: .noDelay
        case .keepAlive: .keepAlive
        case .keepAliveIdle: .keepAliveIdle
        case .receiveBufferSize: .receiveBufferSize
        case .sendBufferSize: .sendBufferSize
        case .resetOnClose: .resetOnClose
        case .udpSegmentSize: .udpSegmentSize
        case .udpReceiveOffload: .udpReceiveOffload
        }
    }

    var value: Int {
        switch self {
        case .noDelay(let on), .keepAlive(let on), .udpReceiveOffload(let on): on ? 1 : 0
        case .keepAliveIdle(let seconds): seconds
        case .receiveBufferSize(let bytes), .sendBufferSize(let bytes), .udpSegmentSize(let bytes): bytes
        case .resetOnClose: 1
        }
    }
}

extension SocketOption.Name {
    var levelAndName: (level: Int32, name: Int32) {
        switch self {
        case .noDelay: (Int32(IPPROTO_TCP), TCP_NODELAY)
        case .keepAlive: (SOL_SOCKET, SO_KEEPALIVE)
        case .keepAliveIdle: (Int32(IPPROTO_TCP), TCP_KEEPIDLE)
        case .receiveBufferSize: (SOL_SOCKET, SO_RCVBUF)
        case .sendBufferSize: (SOL_SOCKET, SO_SNDBUF)
        case .resetOnClose: (SOL_SOCKET, SO_LINGER)
        // SOL_UDP, UDP_SEGMENT and UDP_GRO of linux/udp.h, which Glibc does not export.
        case .udpSegmentSize: (17, 103)
        case .udpReceiveOffload: (17, 104)
        }
    }
}

extension TCPConnection {
    /// Sets a socket option (`setsockopt`). Do not call it concurrently with ``close()``.
    /// - Throws: ``SocketError`` (`EINVAL` for a value out of range, `EBADF` once closed).
    public func setOption(_ option: SocketOption) throws(SocketError) {
        if isClosed { throw SocketError(.setOption, .badFileDescriptor, detail: "connection closed") }
        try Self.setOption(option, on: fd)
        if option == .resetOnClose { resetsOnClose.store(true, ordering: .relaxed) }
    }

    /// Reads a socket option's value (`getsockopt`): 0/1 for flags, bytes or seconds.
    public func option(_ name: SocketOption.Name) throws(SocketError) -> Int {
        if isClosed { throw SocketError(.getOption, .badFileDescriptor, detail: "connection closed") }
        let (level, optionName) = name.levelAndName
        do { return Int(try SocketSyscalls.option(fd, level: level, name: optionName)) } catch {
            throw SocketError(.getOption, error)
        }
    }

    static func setOption(_ option: SocketOption, on fd: Int32) throws(SocketError) {
        guard let value = Int32(exactly: option.value), value >= 0 else {
            throw SocketError(.setOption, .invalidArgument, detail: "\(option) is out of range")
        }
        let (level, name) = option.name.levelAndName
        do {
            if option == .resetOnClose {
                try SocketSyscalls.setLingerZero(fd)
            } else {
                try SocketSyscalls.setOption(fd, level: level, name: name, value: value)
            }
        } catch {
            throw SocketError(.setOption, error)
        }
    }
}
