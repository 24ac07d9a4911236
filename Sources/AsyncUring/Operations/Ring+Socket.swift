internal import CLiburing
import Glibc

/// Single-shot socket operations. Each runs on the ring thread, submits one request whose
/// state lives in the caller's `OperationState` and returns its ``IOResult``; see
/// ``Ring/perform(_:timeout:_:)`` for cancellation and timeouts (`ETIMEDOUT` when the linked
/// timeout fired, `ECANCELED` when the owner cancelled it).
extension Ring {
    /// `IORING_OP_NOP`: the cost of one submit-to-resume round trip.
    package func nop(_ operation: OperationState) async throws -> Int32 {
        try await perform(operation, timeout: nil) { io_uring_prep_nop($0) }
    }

    /// Submits a no-op request and waits for its completion: one submission-to-resume round
    /// trip through this ring, with a pooled state object.
    ///
    /// The corresponding io_uring operation is `IORING_OP_NOP`.
    ///
    /// - Throws: `CancellationError` when the task is cancelled or the ring stopped.
    public func nop() async throws {
        try await run { () async throws -> Void in
            let operation = operationPool.popLast() ?? OperationState()
            defer { if operationPool.count < 64 { operationPool.append(operation) } }
            _ = try await nop(operation)
        }
    }

    /// `IORING_OP_TIMEOUT`: completes with `-ETIME` after `duration`.
    package func sleep(
        for duration: Duration,
        _ operation: OperationState,
        timeout: Duration? = nil
    ) async throws -> Int32 {
        operation.expiry.pointee = __kernel_timespec(duration)
        return try await perform(operation, timeout: timeout) { sqe in
            io_uring_prep_timeout(sqe, operation.expiry, 0, 0)
        }
    }

    /// `IORING_OP_ACCEPT`; the new descriptor is close-on-exec.
    package func accept(_ fd: Int32, _ operation: OperationState, timeout: Duration? = nil) async throws -> IOResult {
        IOResult(
            completion: try await perform(operation, timeout: timeout) { sqe in
                io_uring_prep_accept(sqe, fd, nil, nil, Int32(SOCK_CLOEXEC.rawValue))
            }
        )
    }

    /// `IORING_OP_CONNECT`; the address is copied into the operation's state, where the
    /// kernel reads it.
    package func connect(
        _ fd: Int32,
        to address: RawSocketAddress,
        _ operation: OperationState,
        timeout: Duration?
    ) async throws -> IOResult {
        address.copy(to: operation.address, length: operation.addressLength)
        return IOResult(
            completion: try await perform(operation, timeout: timeout) { sqe in
                operation.address.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddr in
                    io_uring_prep_connect(sqe, fd, sockaddr, operation.addressLength.pointee)
                }
            }
        )
    }

    /// `IORING_OP_SEND` with `MSG_NOSIGNAL`, repeated over short sends until every byte is
    /// sent. The bytes are retained by the operation's state until the last completion.
    /// - Returns: the number of bytes sent, or the error of the request that failed.
    package func send(
        _ fd: Int32,
        _ operation: OperationState,
        _ bytes: ArraySlice<UInt8>,
        timeout: Duration?
    ) async throws -> IOResult {
        let (sent, failure) = try await performWhole(bytes, operation, timeout: timeout) { sqe, pointer, count, _ in
            io_uring_prep_send(sqe, fd, pointer, count, Int32(MSG_NOSIGNAL))
        }
        counters.bytesSent &+= sent
        return failure.map(IOResult.init(completion:)) ?? .success(sent)
    }

    /// `IORING_OP_SHUTDOWN` with `SHUT_RD`, `SHUT_WR` or `SHUT_RDWR`.
    package func shutdown(_ fd: Int32, how: Int32, _ operation: OperationState) async throws -> IOResult {
        IOResult(completion: try await perform(operation, timeout: nil) { io_uring_prep_shutdown($0, fd, how) })
    }

    /// `IORING_OP_CLOSE`. A descriptor is always closed: when the task is cancelled or the
    /// ring stopping, synchronously with close(2).
    package func close(_ fd: Int32, _ operation: OperationState) async -> IOResult {
        if isCurrentThread, !isStopping, !Task.isCancelled,
            let result = try? await perform(operation, timeout: nil, { io_uring_prep_close($0, fd) })
        {
            return IOResult(completion: result)
        }
        // perform threw only if the request never ran (ECANCELED), so this is the one close.
        return IOResult(completion: Glibc.close(fd) == 0 ? 0 : -errno)
    }

    /// Submits `IORING_OP_ASYNC_CANCEL` for `operation`'s request, if it is in flight; its
    /// caller then sees `-ECANCELED` (not `CancellationError`, nor a timeout).
    package func cancel(_ operation: OperationState) {
        precondition(isCurrentThread, "operations are submitted from the ring thread")
        guard operation.isInFlight, operation.cancellation == .none else { return }
        operation.cancellation = .byOwner
        submitCancel(of: operation)
    }
}
