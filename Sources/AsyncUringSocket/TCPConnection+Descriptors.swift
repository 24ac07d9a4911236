import AsyncUring
import SystemPackage

/// Bytes received on a Unix domain connection with the descriptors passed along with them.
public struct DescriptorMessage: Sendable {
    /// The bytes received (at least one).
    public var bytes: [UInt8]
    /// The descriptors passed with them, open and close-on-exec; the receiver owns them and
    /// must close them.
    public var descriptors: [FileDescriptor]
    /// More descriptors came than `maxDescriptors` had room for: the kernel closed the rest
    /// (`MSG_CTRUNC`).
    public var isTruncated: Bool
}

/// Passing descriptors over a Unix domain connection (`SCM_RIGHTS`, unix(7)).
///
/// A connection's ordinary receives read through one multishot `IORING_OP_RECV`, which has
/// no room for control messages: the kernel would close the descriptors of a message it
/// read. Descriptors are therefore received by a single-shot `IORING_OP_RECVMSG` of their
/// own, ``receive(maxBytes:maxDescriptors:timeout:)``, which refuses to run once the
/// multishot receive is armed or holds unread bytes. A protocol that passes descriptors
/// receives with it whenever descriptors may come, from the connection's first receive on
/// (a connection that was only ever sent to has nothing armed).
///
/// ```swift
/// // The daemon hands a client a file it opened.
/// let file = try FileDescriptor.open("/var/lib/my-daemon/state", .readOnly)
/// try await connection.send(Array("state".utf8), passing: [file])
/// try file.close()
///
/// // The client.
/// if let message = try await connection.receive(maxBytes: 64, maxDescriptors: 1) {
///     for descriptor in message.descriptors { defer { try? descriptor.close() } /* read it */ }
/// }
/// ```
extension TCPConnection {
    /// Sends `bytes` and passes `descriptors` with them: the peer receives duplicates of
    /// them, with the first of these bytes.
    ///
    /// Bytes queued by earlier sends go first (this call waits until they were sent), then
    /// this message, whole; do not send from other tasks while it runs, or their bytes may
    /// go before its rest. The descriptors stay open here: close them when they are no
    /// longer needed.
    ///
    /// The corresponding io_uring operation is `IORING_OP_SENDMSG` with an `SCM_RIGHTS`
    /// control message (then `IORING_OP_SEND` for the rest of a short send).
    ///
    /// - Parameters:
    ///   - bytes: at least one byte: a stream socket passes descriptors with data only.
    ///   - descriptors: at most 253 (`SCM_MAX_FD`).
    ///   - timeout: throws `ETIMEDOUT` when the bytes are not sent within it.
    /// - Throws: ``SocketError``: `EINVAL` for no bytes or no descriptors, `EOPNOTSUPP` on a
    ///   TCP connection, `EBADF` for a descriptor that is not open or once the connection is
    ///   closed, `ETOOMANYREFS` beyond the kernel's limit of descriptors in flight, the
    ///   errors of ``send(_:timeout:)-([UInt8],_)``; `CancellationError`.
    public func send(_ bytes: [UInt8], passing descriptors: [FileDescriptor], timeout: Duration? = nil) async throws {
        guard !bytes.isEmpty, !descriptors.isEmpty, descriptors.count <= 253 else {
            throw SocketError(.send, .invalidArgument, detail: "\(bytes.count) bytes, \(descriptors.count) descriptors")
        }
        guard ring.runsHere(#isolation) else {
            return try await ring.run { try await self.send(bytes, passing: descriptors, timeout: timeout) }
        }
        try await perform(.send) { () async throws -> Void in
            try checkUnixDomain(.send)
            try await flushQueue(timeout: timeout)
            let result = try await withMessageOperation { operation in
                try await descriptor.counting {
                    try await ring.sendMessage(
                        fd,
                        operation,
                        bytes,
                        descriptors: descriptors.map(\.rawValue),
                        timeout: timeout
                    )
                }
            }
            if case .failure(let error) = result {
                if error == .canceled, lifecycle.state != .open {
                    throw SocketError(.send, .badFileDescriptor, detail: "connection closed")
                }
                sendFailed(error)
                throw SocketError(.send, error)
            }
        }
    }

    /// Receives up to `maxBytes` bytes and the descriptors passed with them.
    ///
    /// One call returns what one single-shot receive gets: the descriptors of one send at
    /// most, as the kernel stops after the bytes they came with (bytes of earlier sends may
    /// come before those, in the same call).
    ///
    /// The corresponding io_uring operation is a single-shot `IORING_OP_RECVMSG` with
    /// `MSG_CMSG_CLOEXEC`.
    ///
    /// - Parameters:
    ///   - maxBytes: the most bytes received.
    ///   - maxDescriptors: room for this many descriptors, 1...253; the kernel closes those
    ///     beyond it (``DescriptorMessage/isTruncated``).
    ///   - timeout: throws `ETIMEDOUT` when nothing arrives within it.
    /// - Returns: the bytes and descriptors, or nil at end of stream.
    /// - Throws: ``SocketError``: `EINVAL` for limits out of range, or when the connection's
    ///   multishot receive is armed or holds unread bytes (an ordinary receive ran: see
    ///   above); `EOPNOTSUPP` on a TCP connection; `EALREADY` while another receive is in
    ///   flight; `EBADF` once closed; `ETIMEDOUT`, `ECONNRESET`; `CancellationError`.
    public func receive(
        maxBytes: Int = 65536,
        maxDescriptors: Int,
        timeout: Duration? = nil
    ) async throws -> DescriptorMessage? {
        guard maxBytes > 0, (1...253).contains(maxDescriptors) else {
            throw SocketError(
                .receive,
                .invalidArgument,
                detail: "maxBytes \(maxBytes), maxDescriptors \(maxDescriptors)"
            )
        }
        guard ring.runsHere(#isolation) else {
            return try await ring.run {
                try await self.receive(maxBytes: maxBytes, maxDescriptors: maxDescriptors, timeout: timeout)
            }
        }
        return try await perform(.receive) { () async throws -> DescriptorMessage? in
            try checkUnixDomain(.receive)
            guard receiver.isIdleAndEmpty else {
                throw SocketError(
                    .receive,
                    .invalidArgument,
                    detail: "an ordinary receive ran first: its multishot request would drop passed descriptors"
                )
            }
            let result = try await withMessageOperation { operation in
                try await descriptor.counting {
                    try await ring.receiveMessage(
                        fd,
                        operation,
                        maxBytes: maxBytes,
                        maxDescriptors: maxDescriptors,
                        timeout: timeout ?? defaultReceiveTimeout
                    )
                }
            }
            switch result {
            case .success(let receipt) where receipt.bytes.isEmpty:
                for fd in receipt.descriptors { try? FileDescriptor(rawValue: fd).close() }
                return nil
            case .success(let receipt):
                return DescriptorMessage(
                    bytes: receipt.bytes,
                    descriptors: receipt.descriptors.map(FileDescriptor.init(rawValue:)),
                    isTruncated: receipt.isControlTruncated
                )
            case .failure(.canceled) where lifecycle.state != .open:
                throw SocketError(.receive, .badFileDescriptor, detail: "connection closed")
            case .failure(.canceled) where ring.isStopping:
                throw CancellationError()
            case .failure(let error):
                throw SocketError(.receive, error)
            }
        }
    }

    /// Runs `body` with a state object that ``close()`` cancels while it is in flight (a
    /// message with descriptors, a file copy).
    func withMessageOperation<Result>(
        _ body: (OperationState) async throws -> Result
    ) async throws -> Result {
        let operation = OperationState()
        messageOperations.append(operation)
        defer { messageOperations.removeAll { $0 === operation } }
        return try await body(operation)
    }

    private func checkUnixDomain(_ operation: SocketError.Operation) throws(SocketError) {
        guard (try? SocketSyscalls.localAddress(fd))?.family == .unix else {
            throw SocketError(operation, .notSupported, detail: "descriptors pass over Unix domain sockets only")
        }
    }
}
