internal import CLiburing
import Glibc
import SystemPackage

/// The memory one message with ancillary data needs while the kernel reads or writes it: a
/// `msghdr`, one `iovec`, the control buffer and, for a receive, the data buffer. Owned by
/// the operation's state (`retainedStorage`) until the final completion.
package final class MessageMemory {
    let header: UnsafeMutablePointer<msghdr>
    let vector: UnsafeMutablePointer<iovec>
    let control: UnsafeMutableRawBufferPointer
    let data: UnsafeMutableRawBufferPointer

    init(controlSpace: Int, dataCapacity: Int) {
        header = .allocate(capacity: 1)
        header.initialize(to: msghdr())
        vector = .allocate(capacity: 1)
        vector.initialize(to: iovec())
        control = .allocate(byteCount: max(controlSpace, 1), alignment: MemoryLayout<cmsghdr>.alignment)
        control.initializeMemory(as: UInt8.self, repeating: 0)
        data = .allocate(byteCount: max(dataCapacity, 1), alignment: 1)
    }

    deinit {
        header.deallocate()
        vector.deallocate()
        control.deallocate()
        data.deallocate()
    }

    /// Points the header at `base` (`count` bytes) and `controlLength` bytes of control.
    func prepare(base: UnsafeMutableRawPointer, count: Int, controlLength: Int) {
        vector.pointee = iovec(iov_base: base, iov_len: count)
        header.pointee = msghdr()
        header.pointee.msg_iov = vector
        header.pointee.msg_iovlen = 1
        if controlLength > 0 {
            header.pointee.msg_control = control.baseAddress
            header.pointee.msg_controllen = controlLength
        }
    }
}

/// What ``Ring/receiveMessage(_:_:maxBytes:maxDescriptors:timeout:)`` received.
package struct MessageReceipt: Sendable {
    package var bytes: [UInt8]
    package var descriptors: [Int32]
    /// `MSG_CTRUNC`: more descriptors came than there was room for; the kernel closed those.
    package var isControlTruncated: Bool
}

/// Messages with `SCM_RIGHTS` ancillary data on a Unix domain socket (unix(7), cmsg(3)):
/// single-shot `IORING_OP_SENDMSG` and `IORING_OP_RECVMSG`, which the epoll driver serves too.
extension Ring {
    /// `IORING_OP_SENDMSG` with `MSG_NOSIGNAL` and the descriptors as one `SCM_RIGHTS`
    /// control message; the rest of a short send goes as ``send(_:_:_:timeout:)``.
    /// - Returns: the number of bytes sent, or the error of the request that failed.
    package func sendMessage(
        _ fd: Int32,
        _ operation: OperationState,
        _ bytes: [UInt8],
        descriptors: [Int32],
        timeout: Duration?
    ) async throws -> IOResult {
        precondition(!bytes.isEmpty, "a message carries at least one byte with its descriptors")
        let payload = descriptors.count * MemoryLayout<Int32>.size
        let memory = MessageMemory(controlSpace: ControlMessages.space(payload), dataCapacity: bytes.count)
        memory.data.copyBytes(from: bytes)
        // SAFETY: the control buffer holds one aligned header and `payload` bytes after it.
        let header = memory.control.baseAddress!.assumingMemoryBound(to: cmsghdr.self)
        header.pointee.cmsg_len = ControlMessages.headerSpace + payload
        header.pointee.cmsg_level = SOL_SOCKET
        header.pointee.cmsg_type = Int32(SCM_RIGHTS)
        descriptors.withUnsafeBytes {
            (memory.control.baseAddress! + ControlMessages.headerSpace).copyMemory(
                from: $0.baseAddress!,
                byteCount: payload
            )
        }
        memory.prepare(
            base: memory.data.baseAddress!,
            count: bytes.count,
            controlLength: ControlMessages.space(payload)
        )
        operation.retainedStorage = memory
        defer { operation.retainedStorage = nil }
        let result = try await perform(operation, timeout: timeout) { sqe in
            io_uring_prep_sendmsg(sqe, fd, memory.header, UInt32(MSG_NOSIGNAL))
        }
        guard result >= 0 else { return IOResult(completion: result) }
        counters.bytesSent &+= Int(result)
        guard Int(result) < bytes.count else { return .success(Int(result)) }
        // The descriptors went with the first byte; the rest is plain stream data.
        switch try await send(fd, operation, bytes[Int(result)...], timeout: timeout) {
        case .success(let more): return .success(Int(result) + more)
        case .failure(let error): return .failure(error)
        }
    }

    /// `IORING_OP_RECVMSG` with `MSG_CMSG_CLOEXEC`, single-shot: up to `maxBytes` and the
    /// descriptors passed with them (`SCM_RIGHTS`), which the caller then owns.
    /// - Returns: the message (no bytes at end of stream), or the request's error.
    package func receiveMessage(
        _ fd: Int32,
        _ operation: OperationState,
        maxBytes: Int,
        maxDescriptors: Int,
        timeout: Duration?
    ) async throws -> Result<MessageReceipt, Errno> {
        let payload = maxDescriptors * MemoryLayout<Int32>.size
        let memory = MessageMemory(controlSpace: ControlMessages.space(payload), dataCapacity: maxBytes)
        // `CMSG_LEN`, not `CMSG_SPACE`: the kernel fills what fits, and the alignment padding
        // of an odd count would fit one descriptor more than asked for.
        let controlLength = maxDescriptors > 0 ? ControlMessages.headerSpace + payload : 0
        memory.prepare(base: memory.data.baseAddress!, count: maxBytes, controlLength: controlLength)
        operation.retainedStorage = memory
        defer { operation.retainedStorage = nil }
        let result = try await perform(operation, timeout: timeout) { sqe in
            io_uring_prep_recvmsg(sqe, fd, memory.header, UInt32(MSG_CMSG_CLOEXEC))
        }
        guard result >= 0 else { return .failure(Errno(rawValue: -result)) }
        counters.bytesReceived &+= Int(result)
        let flags = memory.header.pointee.msg_flags
        return .success(
            MessageReceipt(
                bytes: Array(UnsafeRawBufferPointer(rebasing: memory.data[..<Int(result)])),
                descriptors: Self.passedDescriptors(memory.header.pointee),
                isControlTruncated: flags & Int32(MSG_CTRUNC) != 0
            )
        )
    }

    /// The descriptors of every `SCM_RIGHTS` control message.
    private static func passedDescriptors(_ message: msghdr) -> [Int32] {
        guard let control = message.msg_control else { return [] }
        var descriptors: [Int32] = []
        ControlMessages.forEach(in: control, length: Int(message.msg_controllen)) { level, type, data in
            guard level == SOL_SOCKET, type == Int32(SCM_RIGHTS) else { return }
            for index in 0..<data.count / MemoryLayout<Int32>.size {
                descriptors.append(data.loadUnaligned(fromByteOffset: index * MemoryLayout<Int32>.size, as: Int32.self))
            }
        }
        return descriptors
    }
}
