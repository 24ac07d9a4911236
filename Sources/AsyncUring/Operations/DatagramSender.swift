internal import CLiburing
import DequeModule
import Glibc
import SystemPackage

/// Write-behind datagram sends for one socket: ``send(_:to:)`` submits one
/// `IORING_OP_SEND` and returns without waiting for its completion, as sendto(2) returns
/// once the kernel holds the datagram, so a loop that receives and answers suspends once per
/// datagram, not twice. At most ``limit`` sends are in flight; further senders wait for a
/// completion (backpressure). A datagram that fails (`ECONNREFUSED` after an ICMP port
/// unreachable, `EMSGSIZE`, `ENETUNREACH`) reports its error to the socket's next send.
///
/// Each send's address and retained bytes live in a pooled request object
/// until its completion, so a steady sender allocates nothing here.
///
/// Guarded by: ring thread.
package final class DatagramSender: @unchecked Sendable {
    /// One datagram in flight: everything the kernel reads for it.
    private final class Request: CompletionTarget, @unchecked Sendable {
        // SAFETY: allocated once per request object, freed in deinit; the ring holds a
        // retained reference until the completion, so the kernel never reads freed memory.
        let address = UnsafeMutablePointer<sockaddr_storage>.allocate(capacity: 1)
        let addressLength = UnsafeMutablePointer<socklen_t>.allocate(capacity: 1)
        var bytes: ArraySlice<UInt8>?
        /// Set while in flight: whom the completion reports to.
        var sender: DatagramSender?

        deinit {
            address.deallocate()
            addressLength.deallocate()
        }

        /// `IORING_OP_SEND` with the destination in `addr2`/`addr_len` (sendto(2), since
        /// Linux 6.0): the kernel copies neither a `msghdr` nor an `iovec` per datagram, as
        /// `IORING_OP_SENDMSG` does.
        func prepare(_ sqe: UnsafeMutablePointer<io_uring_sqe>, fd: Int32, to destination: RawSocketAddress?) {
            let bytes = self.bytes!
            // SAFETY: the slice's storage is retained in `self.bytes` until the completion.
            let base = bytes.withUnsafeBytes { $0.baseAddress }
            io_uring_prep_send(sqe, fd, base, bytes.count, Int32(MSG_NOSIGNAL))
            if let destination {
                destination.copy(to: address, length: addressLength)
                io_uring_prep_send_set_addr(
                    sqe,
                    UnsafeRawPointer(address).assumingMemoryBound(to: sockaddr.self),
                    UInt16(addressLength.pointee)
                )
            }
        }

        override func complete(result: Int32, flags: UInt32, isFinal: Bool) {
            let sender = self.sender!
            self.sender = nil
            bytes = nil
            sender.completed(self, result: result)
        }
    }

    /// Sends in flight beyond which senders wait.
    package static let limit = 256

    private let ring: Ring
    private let descriptor: SocketDescriptor
    @exclusivity(unchecked) private var pool: [Request] = []
    @exclusivity(unchecked) private var inFlight = 0
    @exclusivity(unchecked) private var waiters = Deque<CheckedContinuation<Void, Never>>()
    /// The error of a datagram that failed, for the next send.
    @exclusivity(unchecked) private var pendingError: Errno?

    package init(ring: Ring, descriptor: SocketDescriptor) {
        self.ring = ring
        self.descriptor = descriptor
    }

    /// Submits `bytes` as one datagram to `destination` (the connected peer when nil).
    /// - Returns: nil once submitted, or the error of an earlier datagram that failed (this
    ///   one is not sent then).
    /// - Throws: `CancellationError` when the ring is stopping, or the task was cancelled
    ///   while waiting for room.
    package func send(_ bytes: ArraySlice<UInt8>, to destination: RawSocketAddress?) async throws -> Errno? {
        precondition(ring.isCurrentThread, "operations are submitted from the ring thread")
        if let error = pendingError.take() { return error }
        while inFlight >= Self.limit {
            try Task.checkCancellation()
            await withCheckedContinuation { waiters.append($0) }
        }
        guard !ring.isStopping else { throw CancellationError() }
        let request = pool.popLast() ?? Request()
        request.bytes = bytes
        request.sender = self
        let sqe = ring.nextSubmission()
        request.prepare(sqe, fd: descriptor.fd, to: destination)
        ring.track(sqe, request)
        descriptor.requestStarted()
        inFlight += 1
        return nil
    }

    private func completed(_ request: Request, result: Int32) {
        inFlight -= 1
        if pool.count < 64 { pool.append(request) }
        if result > 0 { ring.counters.bytesSent &+= Int(result) }
        if result < 0 && result != -ECANCELED && pendingError == nil { pendingError = Errno(rawValue: -result) }
        descriptor.requestEnded()
        waiters.popFirst()?.resume()
    }
}
