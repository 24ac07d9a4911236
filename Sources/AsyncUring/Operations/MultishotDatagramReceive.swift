internal import CLiburing
import DequeModule
import Glibc
import SystemPackage

/// A datagram socket's multishot receive (`IORING_OP_RECVMSG` with `IORING_RECV_MULTISHOT`
/// and the ring's provided buffer ring): one request that stays armed and completes once per
/// datagram, each in a buffer the kernel picked, laid out as `struct io_uring_recvmsg_out`,
/// then the sender's address, then the payload.
///
/// Received datagrams queue here until ``receive(maxBytes:timeout:)`` takes them, so a
/// receive that finds one queued returns without suspending and a cancelled or timed-out wait
/// loses nothing. Beyond ``queueLimit`` unread datagrams the request is cancelled until the
/// reader catches up (the socket's receive buffer takes the backlog, then the kernel drops, as
/// UDP does). A datagram longer than a buffer can carry (the ring's `receiveBufferSize` less
/// the header, the address and the control room) is cut and reported truncated. With
/// `UDP_GRO` on the socket, a buffer may hold several datagrams of one sender that the kernel
/// coalesced, all of the segment size its control message gives but the last: they are
/// split here and taken one by one, as if they had come apart. An empty buffer ring ends the
/// request with `ENOBUFS`; the ring arms it again once buffers come back.
///
/// Guarded by: ring thread.
package final class MultishotDatagramReceive: CompletionTarget, StarvableReceive, @unchecked Sendable {
    /// A datagram as ``receive(maxBytes:timeout:)`` gives it.
    package typealias Received = (bytes: [UInt8], sender: RawSocketAddress, isTruncated: Bool)

    /// One completion: a datagram in buffer `id` using `length` bytes of it, or an error.
    private struct Entry {
        var id: UInt16
        var length: Int32
    }

    /// Unread datagrams beyond which the request is cancelled.
    static let queueLimit = 256
    private static let headerSize = MemoryLayout<io_uring_recvmsg_out>.size
    private static let nameSpace = MemoryLayout<sockaddr_storage>.size
    /// Room for one `UDP_GRO` control message: an `int`, the coalesced datagrams' size.
    private static let controlSpace = ControlMessages.space(MemoryLayout<Int32>.size)
    /// What every buffer holds before the payload: header, address room, control room.
    package static let reservedSpace = headerSize + nameSpace + controlSpace
    /// `SOL_UDP` and `UDP_GRO` of linux/udp.h, which Glibc does not export.
    package static let udpLevel: Int32 = 17
    package static let udpGRO: Int32 = 104

    private let ring: Ring
    private let descriptor: SocketDescriptor
    private let waiter: Waiter
    @exclusivity(unchecked) private var entries = Deque<Entry>()
    /// The datagrams after the first of a coalesced buffer, whole, taken before `entries`.
    @exclusivity(unchecked) private var segments = Deque<Received>()
    /// Buffers that held more than one datagram (`UDP_GRO`), for tests and diagnostics.
    @exclusivity(unchecked) package private(set) var coalescedBuffers = 0
    @exclusivity(unchecked) private var isArmed = false
    @exclusivity(unchecked) private var isStarved = false
    @exclusivity(unchecked) private var isClosed = false
    @exclusivity(unchecked) private var timer: WaitTimer?
    // SAFETY: allocated here, freed in deinit; the ring retains this object while its request
    // is in flight. The kernel reads it at submission: its name and control lengths reserve
    // that much room at the start of every buffer.
    private let template = UnsafeMutablePointer<msghdr>.allocate(capacity: 1)

    package init(ring: Ring, descriptor: SocketDescriptor) {
        self.ring = ring
        self.descriptor = descriptor
        self.waiter = Waiter(ring: ring)
        var header = msghdr()
        header.msg_namelen = socklen_t(Self.nameSpace)
        header.msg_controllen = Self.controlSpace
        template.initialize(to: header)
    }

    deinit {
        template.deallocate()
    }

    /// The next datagram, at most `maxBytes` of it.
    /// - Returns: its payload, sender and whether it was cut; or the error that ended the
    ///   request (`ECONNREFUSED` on a connected socket), `ETIMEDOUT` after `timeout`,
    ///   `ECANCELED` once ``close()`` ran.
    /// - Throws: `CancellationError` when the task is cancelled while waiting, or the ring
    ///   stops; ``RingError`` when the provided buffer ring cannot be set up.
    package func receive(
        maxBytes: Int,
        timeout: Duration?
    ) async throws -> Result<Received, Errno> {
        precondition(ring.isCurrentThread, "operations are submitted from the ring thread")
        let buffers = try ring.providedBufferRing()
        while true {
            if let segment = segments.popFirst() { return .success(Self.limit(segment, to: maxBytes)) }
            if let entry = entries.popFirst() {
                if !isArmed && !isStarved && !isClosed && entries.count < Self.queueLimit / 2 { arm() }
                guard entry.length >= 0 else { return .failure(Errno(rawValue: -entry.length)) }
                defer { ring.recycleBuffer(entry.id) }
                return .success(Self.limit(parse(buffers.bytes(entry.id, count: Int(entry.length))), to: maxBytes))
            }
            if isClosed { return .failure(.canceled) }
            if ring.isStopping { throw CancellationError() }
            try Task.checkCancellation()
            if !isArmed && !isStarved { arm() }
            if let timeout {
                timer = WaitTimer(ring: ring, duration: timeout) { [waiter] in waiter.resume(-ETIMEDOUT) }
            }
            let result = await waiter.wait(scoped: false)
            timer?.cancel()
            timer = nil
            switch result {
            case -ECANCELED where !isClosed: throw CancellationError()
            case -ETIMEDOUT where entries.isEmpty: return .failure(.timedOut)
            default: continue
            }
        }
    }

    /// Reads one buffer: `io_uring_recvmsg_out`, the name and control room the template
    /// reserved, the payload. Returns the first datagram; those after it in a coalesced
    /// buffer go to `segments`.
    private func parse(_ buffer: UnsafeRawBufferPointer) -> Received {
        let header = buffer.loadUnaligned(as: io_uring_recvmsg_out.self)
        let payloadStart = Self.reservedSpace
        let received = min(Int(header.payloadlen), max(buffer.count - payloadStart, 0))
        let isCut = Int(header.payloadlen) > received || header.flags & UInt32(MSG_TRUNC) != 0
        // Loaded, not rebound: a buffer's start is only as aligned as the configured size.
        let storage = buffer.loadUnaligned(fromByteOffset: Self.headerSize, as: sockaddr_storage.self)
        let sender = withUnsafePointer(to: storage) { RawSocketAddress(kernelWritten: $0) }
        let payload = UnsafeRawBufferPointer(rebasing: buffer[payloadStart..<payloadStart + received])
        let segmentSize = Self.segmentSize(buffer, controlLength: Int(header.controllen)) ?? received
        guard segmentSize > 0, received > segmentSize else { return (Array(payload), sender, isCut) }
        coalescedBuffers += 1
        var start = segmentSize
        while start < received {
            let end = min(start + segmentSize, received)
            segments.append(
                (Array(UnsafeRawBufferPointer(rebasing: payload[start..<end])), sender, isCut && end == received)
            )
            start = end
        }
        return (Array(UnsafeRawBufferPointer(rebasing: payload[..<segmentSize])), sender, false)
    }

    /// The segment size of a buffer the kernel coalesced (`UDP_GRO`), nil for one datagram.
    private static func segmentSize(_ buffer: UnsafeRawBufferPointer, controlLength: Int) -> Int? {
        var size: Int?
        ControlMessages.forEach(
            in: buffer.baseAddress! + headerSize + nameSpace,
            length: min(controlLength, controlSpace)
        ) { level, type, data in
            if level == udpLevel, type == udpGRO, data.count >= MemoryLayout<Int32>.size {
                size = Int(data.loadUnaligned(as: Int32.self))
            }
        }
        return size
    }

    /// At most `maxBytes` of `datagram`, truncated when cut.
    private static func limit(_ datagram: Received, to maxBytes: Int) -> Received {
        guard datagram.bytes.count > maxBytes else { return datagram }
        return (Array(datagram.bytes.prefix(maxBytes)), datagram.sender, true)
    }

    private func arm() {
        let sqe = ring.nextSubmission()
        io_uring_prep_recvmsg_multishot(sqe, descriptor.fd, template, 0)
        sqe.pointee.flags |= cliburing_iosqe_buffer_select
        sqe.pointee.buf_group = ProvidedBuffers.groupID
        ring.track(sqe, self)
        descriptor.requestStarted()
        isArmed = true
    }

    override func complete(result: Int32, flags: UInt32, isFinal: Bool) {
        if flags & IORING_CQE_F_BUFFER != 0 {
            let id = UInt16(truncatingIfNeeded: flags >> cliburing_cqe_buffer_shift)
            ring.providedBuffers!.taken()
            if result >= 0 && !isClosed {
                ring.counters.bytesReceived &+= Int(result)
                entries.append(Entry(id: id, length: result))
            } else {
                ring.recycleBuffer(id)
            }
        } else if result < 0 && !isClosed {
            switch -result {
            case ECANCELED: break
            case ENOBUFS:
                isStarved = true
                ring.starve(self)
            default: entries.append(Entry(id: 0, length: result))
            }
        }
        if isFinal {
            isArmed = false
            descriptor.requestEnded()
        } else if entries.count >= Self.queueLimit && !isClosed {
            ring.submitCancel(of: self)
        }
        waiter.resume(0)
    }

    func armStarved() {
        isStarved = false
        if !isClosed && !isArmed && entries.count < Self.queueLimit { arm() }
    }

    func wake() {
        waiter.resume(0)
    }

    /// Whether the request is in the kernel: the descriptor must stay open meanwhile.
    package var hasRequestInFlight: Bool { isArmed }

    /// Stops receiving: cancels the request, drops unread datagrams, ends a waiting receive
    /// with `-ECANCELED`.
    package func close() {
        precondition(ring.isCurrentThread, "operations are submitted from the ring thread")
        guard !isClosed else { return }
        isClosed = true
        if isArmed { ring.submitCancel(of: self) }
        for entry in entries where entry.length >= 0 { ring.recycleBuffer(entry.id) }
        entries.removeAll()
        segments.removeAll()
        waiter.resume(-ECANCELED)
    }
}

extension RawSocketAddress {
    /// An address the kernel wrote into `storage`; its length follows from its family.
    init(kernelWritten storage: UnsafePointer<sockaddr_storage>) {
        self.init()
        self.storage = storage.pointee
        switch family {
        case .ipv4: length = socklen_t(MemoryLayout<sockaddr_in>.size)
        case .ipv6: length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        default: length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        }
    }
}
