internal import CLiburing
import Glibc
import SystemPackage

/// Datagram operations: one `IORING_OP_SENDMSG` or `IORING_OP_RECVMSG` per datagram, whose
/// message header, vector and peer address live in the caller's `OperationState` until the
/// final completion (see ``Ring/perform(_:timeout:_:)`` for cancellation and timeouts).
extension Ring {
    /// `IORING_OP_SENDMSG` of one datagram, to `address` or, when nil, to the connected peer.
    /// The bytes are retained by the operation's state until the completion.
    /// - Returns: the number of bytes sent, or the error.
    package func sendDatagram(
        _ fd: Int32,
        _ bytes: ArraySlice<UInt8>,
        to address: RawSocketAddress?,
        _ operation: OperationState,
        timeout: Duration?
    ) async throws -> IOResult {
        operation.retainedBytes = bytes
        defer { operation.retainedBytes = nil }
        // SAFETY: the slice's storage is retained in `operation.retainedBytes` and not
        // mutated until this function returns, which is after the final completion. An
        // empty datagram is valid: the vector is then empty.
        let base = bytes.withUnsafeBytes { $0.baseAddress }
        operation.vector.pointee = iovec(iov_base: UnsafeMutableRawPointer(mutating: base), iov_len: bytes.count)
        var header = msghdr()
        header.msg_iov = operation.vector
        header.msg_iovlen = 1
        if let address {
            address.copy(to: operation.address, length: operation.addressLength)
            header.msg_name = UnsafeMutableRawPointer(operation.address)
            header.msg_namelen = operation.addressLength.pointee
        }
        operation.message.pointee = header
        let result = try await perform(operation, timeout: timeout) { sqe in
            io_uring_prep_sendmsg(sqe, fd, operation.message, UInt32(MSG_NOSIGNAL))
        }
        if result > 0 { counters.bytesSent &+= Int(result) }
        return IOResult(completion: result)
    }

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
