import AsyncUring
import Glibc
import SystemPackage

/// One datagram received by a ``UDPSocket``.
public struct Datagram: Sendable, Hashable {
    /// The payload, at most the `maxBytes` asked for.
    public var bytes: [UInt8]
    /// Who sent it.
    public var sender: SocketAddress
    /// The datagram was longer than `maxBytes`: ``bytes`` holds its beginning only.
    public var isTruncated: Bool

    public init(bytes: [UInt8], sender: SocketAddress, isTruncated: Bool = false) {
        self.bytes = bytes
        self.sender = sender
        self.isTruncated = isTruncated
    }
}

/// A UDP socket on a ring: each ``send(_:to:)`` is one `IORING_OP_SENDMSG`, and one multishot
/// `IORING_OP_RECVMSG` into the ring's provided buffers receives every datagram, carried out
/// on the socket's ring thread; the kernel reads and writes only memory their request objects
/// own until the final completion.
///
/// Sends are write-behind, as sendto(2) is: `send` returns once the datagram is submitted,
/// without waiting for its completion (at most 256 in flight, then senders wait); a datagram
/// that fails reports its error to the next send.
///
/// ```swift
/// let server = try UDPSocket.bind(host: "127.0.0.1", port: 5353)
/// while true {
///     let datagram = try await server.receive()
///     try await server.send(datagram.bytes, to: datagram.sender)
/// }
/// ```
///
/// One receive at a time (a second concurrent one throws `EALREADY`); sends from any number
/// of tasks go out concurrently, each datagram whole. A datagram longer than the receive's
/// `maxBytes`, or than a receive buffer holds (the ring's
/// `RingConfiguration.receiveBufferSize` less 168 bytes of header, address and control room: 16,216 bytes
/// by default), is reported (``Datagram/isTruncated``), never silently cut. Datagrams that
/// arrive while nobody receives wait in the socket (256 taken from the kernel, then its
/// receive buffer; beyond it the kernel drops them, as UDP does). ``close()`` ends a waiting
/// receive with `EBADF` "socket closed".
public final class UDPSocket: @unchecked Sendable {
    /// The ring that runs this socket's requests.
    public let ring: Ring
    /// The address the socket is bound to (with the actual port when bound to port 0).
    public let localAddress: SocketAddress
    private let descriptor: SocketDescriptor
    private var fd: Int32 { descriptor.fd }

    // Guarded by: ring thread.
    private let receiver: MultishotDatagramReceive
    private let closeOperation = OperationState()
    private let sender: DatagramSender
    private var isReceiving = false
    private var isClosed = false

    private init(descriptor fd: Int32, ring: Ring, localAddress: SocketAddress) {
        self.ring = ring
        self.descriptor = SocketDescriptor(fd, ring: ring)
        self.sender = DatagramSender(ring: ring, descriptor: descriptor)
        self.receiver = MultishotDatagramReceive(ring: ring, descriptor: descriptor)
        self.localAddress = localAddress
    }

    deinit {
        // No call is in flight (calls retain the socket), but the receive may be armed.
        if !isClosed {
            let (descriptor, receiver) = (descriptor, receiver)
            ring.execute {
                receiver.close()
                descriptor.closeWhenIdle()
            }
        }
    }

    /// Binds a UDP socket to `host:port`.
    /// - Parameters:
    ///   - host: an IPv4 or IPv6 address literal; default `127.0.0.1`.
    ///   - port: 0 picks an ephemeral port (see ``localAddress``).
    ///   - ring: the ring for the socket; by default the caller's ring when called on a ring
    ///     thread, else the next ring of `RingGroup.shared`.
    /// - Throws: ``SocketError`` (`EADDRINUSE`, `EACCES`, `EINVAL` for a bad host or port).
    public static func bind(host: String = "127.0.0.1", port: Int, ring: Ring? = nil) throws -> UDPSocket {
        let address =
            try host.contains(":") ? SocketAddress(ipv6: host, port: port) : SocketAddress(ipv4: host, port: port)
        return try bind(to: address, ring: ring)
    }

    /// Binds a UDP socket to `address` (IPv4 or IPv6).
    public static func bind(to address: SocketAddress, ring: Ring? = nil) throws -> UDPSocket {
        let ring = try ring ?? RingGroup.shared.current ?? RingGroup.shared.next()
        let fd: Int32
        do {
            fd = try SocketSyscalls.makeSocket(family: address.raw.family, type: Int32(SOCK_DGRAM.rawValue))
        } catch {
            throw SocketError(.socket, error)
        }
        do {
            do {
                try SocketSyscalls.bind(fd, to: address.raw)
            } catch {
                throw SocketError(.bind, error)
            }
            let local: RawSocketAddress
            do {
                local = try SocketSyscalls.localAddress(fd)
            } catch {
                throw SocketError(.localAddress, error)
            }
            return UDPSocket(descriptor: fd, ring: ring, localAddress: SocketAddress(raw: local))
        } catch {
            SocketSyscalls.close(fd)
            throw error
        }
    }

    /// Sets the socket's default peer (connect(2), which sends nothing): ``send(_:)``
    /// goes there, and only its datagrams are received.
    /// - Throws: ``SocketError`` (`EAFNOSUPPORT` for another family).
    public func connect(to address: SocketAddress) throws {
        do {
            try SocketSyscalls.connect(fd, to: address.raw)
        } catch {
            throw SocketError(.connect, error)
        }
    }

    /// Sets a socket option (`setsockopt`): for UDP, `receiveBufferSize` (`SO_RCVBUF`),
    /// `sendBufferSize`, `udpSegmentSize` (`UDP_SEGMENT`) and `udpReceiveOffload`
    /// (`UDP_GRO`) matter; TCP's options fail with `ENOPROTOOPT`.
    ///
    /// With `udpReceiveOffload(true)` one receive buffer may hold up to 64 KiB of datagrams
    /// the kernel coalesced, so it is refused with `EINVAL` unless the ring's
    /// `RingConfiguration.receiveBufferSize` is at least ``receiveOffloadBufferSize``: a
    /// smaller buffer would cut a coalesced run and lose the datagrams past its end.
    /// - Throws: ``SocketError`` (`EBADF` once closed).
    public func setOption(_ option: SocketOption) throws(SocketError) {
        if option == .udpReceiveOffload(true), ring.configuration.receiveBufferSize < Self.receiveOffloadBufferSize {
            throw SocketError(
                .setOption,
                .invalidArgument,
                detail: "UDP_GRO needs receive buffers of at least \(Self.receiveOffloadBufferSize) bytes; "
                    + "this ring's are \(ring.configuration.receiveBufferSize) (RingConfiguration.receiveBufferSize)"
            )
        }
        try TCPConnection.setOption(option, on: fd)
    }

    /// Receive buffers that held several datagrams the kernel coalesced (`UDP_GRO`).
    /// Guarded by: ring thread.
    package var coalescedReceiveBuffers: Int { receiver.coalescedBuffers }

    /// The smallest `RingConfiguration.receiveBufferSize` that takes the largest run of
    /// datagrams `UDP_GRO` coalesces (65,527 bytes of payload over IPv6) with the room each
    /// buffer reserves for the header, the address and the control message, rounded up to a
    /// multiple of 64 bytes.
    public static let receiveOffloadBufferSize = UInt32(
        (65_527 + MultishotDatagramReceive.reservedSpace + 63) / 64 * 64
    )

    /// Reads a socket option's value (`getsockopt`).
    public func option(_ name: SocketOption.Name) throws(SocketError) -> Int {
        let (level, optionName) = name.levelAndName
        do { return Int(try SocketSyscalls.option(fd, level: level, name: optionName)) } catch {
            throw SocketError(.getOption, error)
        }
    }

    /// The peer set by ``connect(to:)``, if any.
    public var remoteAddress: SocketAddress? {
        (try? SocketSyscalls.remoteAddress(fd)).map(SocketAddress.init(raw:))
    }

    // MARK: Sending

    /// Sends `bytes` as one datagram to `address`, write-behind (see the type's overview).
    /// - Throws: ``SocketError`` with the error of an earlier datagram that failed
    ///   (`EMSGSIZE` when too long for a datagram, `ENETUNREACH`; this one is not sent then),
    ///   `EBADF` once closed; `CancellationError`.
    public func send(_ bytes: [UInt8], to address: SocketAddress) async throws {
        try await send(bytes, to: Optional(address))
    }

    /// Sends `bytes` as one datagram to the peer set by ``connect(to:)``, write-behind.
    /// - Throws: ``SocketError`` (`EDESTADDRREQ` when not connected, `ECONNREFUSED` after an
    ///   earlier datagram found no listener), `CancellationError`.
    public func send(_ bytes: [UInt8]) async throws {
        try await send(bytes, to: nil)
    }

    private func send(_ bytes: [UInt8], to address: SocketAddress?) async throws {
        guard ring.runsHere(#isolation) else {
            return try await ring.run { try await self.send(bytes, to: address) }
        }
        guard !isClosed else { throw SocketError(.send, .badFileDescriptor, detail: "socket closed") }
        if let error = try await sender.send(bytes[...], to: address?.raw) { throw SocketError(.send, error) }
    }

    // MARK: Receiving

    /// Receives one datagram of at most `maxBytes` bytes (a longer one is cut and flagged
    /// ``Datagram/isTruncated``).
    /// - Throws: ``SocketError`` (`ETIMEDOUT` after `timeout`, `EALREADY` while another receive
    ///   waits, `EBADF` once closed, `ECONNREFUSED` on a connected socket whose peer has no
    ///   listener), `CancellationError` (a datagram arriving later stays for the next call).
    public func receive(maxBytes: Int = 65536, timeout: Duration? = nil) async throws -> Datagram {
        guard ring.runsHere(#isolation) else {
            return try await ring.run { try await self.receive(maxBytes: maxBytes, timeout: timeout) }
        }
        guard maxBytes > 0 else { throw SocketError(.receive, .invalidArgument, detail: "maxBytes \(maxBytes)") }
        guard !isClosed else { throw SocketError(.receive, .badFileDescriptor, detail: "socket closed") }
        guard !isReceiving else {
            throw SocketError(.receive, .alreadyInProcess, detail: "another receive is in flight")
        }
        isReceiving = true
        defer { isReceiving = false }
        switch try await receiver.receive(maxBytes: maxBytes, timeout: timeout) {
        case .success(let datagram):
            return Datagram(
                bytes: datagram.bytes,
                sender: SocketAddress(raw: datagram.sender),
                isTruncated: datagram.isTruncated
            )
        case .failure(.canceled) where isClosed:
            throw SocketError(.receive, .badFileDescriptor, detail: "socket closed")
        case .failure(let error):
            throw SocketError(.receive, error)
        }
    }

    // MARK: Closing

    /// Closes the socket: a waiting receive ends with `EBADF`, sends in flight complete, then
    /// the descriptor is closed. Calling it again does nothing.
    /// - Throws: ``SocketError`` when close(2) fails.
    public func close() async throws {
        guard ring.runsHere(#isolation) else {
            return try await ring.run { try await self.close() }
        }
        guard !isClosed else { return }
        isClosed = true
        receiver.close()
        await descriptor.waitUntilIdle()
        if case .failure(let error) = await ring.close(fd, closeOperation) { throw SocketError(.close, error) }
    }
}
