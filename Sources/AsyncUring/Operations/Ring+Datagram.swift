internal import CLiburing
import Glibc
import SystemPackage

/// Receiving a datagram: one `IORING_OP_RECVMSG`, whose message header, vector and peer
/// address live in the caller's `OperationState` until the final completion (see
/// ``Ring/perform(_:timeout:_:)`` for cancellation and timeouts). Sends are write-behind:
/// see ``DatagramSender``.
extension Ring {
    /// `IORING_OP_RECVMSG` of one datagram into `buffer`, with `MSG_TRUNC`: the result is the
    /// datagram's whole length, more than `buffer.count` when it was cut to fit.
    /// - Returns: the datagram's length and its sender, or the error.
    package func receiveDatagram(
        _ fd: Int32,
        into buffer: UnsafeMutableRawBufferPointer,
        _ operation: OperationState,
        timeout: Duration?
    ) async throws -> Result<(length: Int, sender: RawSocketAddress), Errno> {
        operation.vector.pointee = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
        var header = msghdr()
        header.msg_iov = operation.vector
        header.msg_iovlen = 1
        header.msg_name = UnsafeMutableRawPointer(operation.address)
        header.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
        operation.address.pointee = sockaddr_storage()
        operation.message.pointee = header
        let result = try await perform(operation, timeout: timeout) { sqe in
            io_uring_prep_recvmsg(sqe, fd, operation.message, UInt32(MSG_TRUNC))
        }
        guard result >= 0 else { return .failure(Errno(rawValue: -result)) }
        counters.bytesReceived &+= min(Int(result), buffer.count)
        return .success((Int(result), RawSocketAddress(kernelWritten: operation.address)))
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
