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
/// the header and the address) is cut and reported truncated. An empty buffer ring ends the
/// request with `ENOBUFS`; the ring arms it again once buffers come back.
///
/// Guarded by: ring thread.
package final class MultishotDatagramReceive: CompletionTarget, StarvableReceive, @unchecked Sendable {
    /// One completion: a datagram in buffer `id` using `length` bytes of it, or an error.
    private struct Entry {
        var id: UInt16
        var length: Int32
    }

    /// Unread datagrams beyond which the request is cancelled.
    static let queueLimit = 256
    private static let headerSize = MemoryLayout<io_uring_recvmsg_out>.size
    private static let nameSpace = MemoryLayout<sockaddr_storage>.size

    private let ring: Ring
    private let descriptor: SocketDescriptor
    private let waiter: Waiter
    @exclusivity(unchecked) private var entries = Deque<Entry>()
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
    ) async throws -> Result<(bytes: [UInt8], sender: RawSocketAddress, isTruncated: Bool), Errno> {
        precondition(ring.isCurrentThread, "operations are submitted from the ring thread")
        let buffers = try ring.providedBufferRing()
        while true {
            if let entry = entries.popFirst() {
                if !isArmed && !isStarved && !isClosed && entries.count < Self.queueLimit / 2 { arm() }
                guard entry.length >= 0 else { return .failure(Errno(rawValue: -entry.length)) }
                defer { ring.recycleBuffer(entry.id) }
                return .success(Self.parse(buffers.bytes(entry.id, count: Int(entry.length)), maxBytes: maxBytes))
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

    /// Reads one buffer: `io_uring_recvmsg_out`, the name (the room the template reserved),
    /// the payload.
    private static func parse(
        _ buffer: UnsafeRawBufferPointer,
        maxBytes: Int
    ) -> (bytes: [UInt8], sender: RawSocketAddress, isTruncated: Bool) {
        let header = buffer.loadUnaligned(as: io_uring_recvmsg_out.self)
        let payloadStart = headerSize + nameSpace
        let available = max(buffer.count - payloadStart, 0)
        let count = min(Int(header.payloadlen), available, maxBytes)
        let sender = buffer.baseAddress!.advanced(by: headerSize).withMemoryRebound(
            to: sockaddr_storage.self,
            capacity: 1
        ) {
            RawSocketAddress(kernelWritten: $0)
        }
        let bytes = Array(UnsafeRawBufferPointer(rebasing: buffer[payloadStart..<payloadStart + count]))
        let isTruncated = Int(header.payloadlen) > count || header.flags & UInt32(MSG_TRUNC) != 0
        return (bytes, sender, isTruncated)
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
