import AsyncUring
import Glibc
import SystemPackage

extension TCPConnection {
    /// Which direction ``shutdown(_:)`` ends.
    public enum ShutdownDirection: Sendable {
        case read, write, both
    }

    /// Shuts down one or both directions; after `.write` the peer reads end of stream while
    /// this side can still receive.
    ///
    /// The corresponding io_uring operation is `IORING_OP_SHUTDOWN`.
    ///
    /// `.write` and `.both` first wait until the bytes sent before, by any task, were sent
    /// (the FIN follows them); sends after it throw `EPIPE`.
    ///
    /// - Throws: ``SocketError`` (`EALREADY` while another shutdown is in flight; a failure
    ///   of the send queue; `EBADF` once closed), `CancellationError`.
    public func shutdown(_ direction: ShutdownDirection) async throws {
        let (how, call): (Int32, ConnectionStateMachine.Call)
        switch direction {
        case .read: (how, call) = (Int32(SHUT_RD), .shutdownRead)
        case .write: (how, call) = (Int32(SHUT_WR), .shutdownWrite)
        case .both: (how, call) = (Int32(SHUT_RDWR), .shutdownWrite)
        }
        try await ring.run { () async throws -> Void in
            let result = try await perform(call) { () async throws -> IOResult in
                // The FIN goes after the bytes queued so far, by any task.
                if call == .shutdownWrite { try await flushQueue(for: .shutdown) }
                return try await ring.shutdown(fd, how: how, controlOperation)
            }
            if case .failure(let error) = result { throw SocketError(.shutdown, error) }
            // The armed receive may never see the end of stream the shutdown made.
            if direction != .write { receiver.rearm() }
        }
    }

    /// Closes the connection: lets bytes that ``send(_:timeout:)-([UInt8],_)`` already
    /// queued reach the kernel (for at most ``closeFlushLimit``, since a peer that stopped
    /// reading never takes them; not at all after `SocketOption.resetOnClose`), cancels the other requests in flight, waits for their
    /// completions (their callers get `CancellationError`, or `ECANCELED`), then closes the
    /// descriptor. Cancelling the closing task abandons the unsent bytes; the descriptor is
    /// closed all the same.
    ///
    /// A connection dropped without `close()` is closed the same way by its ring, in the
    /// background.
    ///
    /// The corresponding io_uring operations are `IORING_OP_ASYNC_CANCEL` and
    /// `IORING_OP_CLOSE`.
    ///
    /// After the connection's ring has stopped, the descriptor is closed at once.
    ///
    /// - Throws: ``SocketError`` with `EBADF` when the connection was already closed.
    public func close() async throws {
        do {
            try await closeOnRing()
        } catch is CancellationError where ring.isTerminated {
            try closeAfterRingEnded()
        }
    }

    private func closeOnRing() async throws {
        try await ring.run { () async throws -> Void in
            let action = try lifecycle.closeRequested()
            isClosedFlag.store(true, ordering: .releasing)
            receiver.close()
            sendQueue.close(flushingWithin: resetsOnClose.load(ordering: .relaxed) ? nil : Self.closeFlushLimit)
            // A connect or shutdown in flight: its caller sees ECANCELED.
            ring.cancel(controlOperation)
            for operation in messageOperations { ring.cancel(operation) }
            if action == .waitForCalls { await withCheckedContinuation { closeWaiter = $0 } }
            await withTaskCancellationHandler {
                await descriptor.waitUntilIdle()
            } onCancel: {
                ring.execute { [sendQueue] in sendQueue.cancel() }
            }
            let result = await ring.close(fd, controlOperation)
            lifecycle.closed()
            ring.noteConnection(closed: true)
            if case .failure(let error) = result { throw SocketError(.close, error) }
        }
    }

    /// How long ``close()`` waits for bytes that ``send(_:timeout:)-([UInt8],_)`` already
    /// accepted to reach the kernel before it abandons them.
    public static let closeFlushLimit = Duration.seconds(5)

    /// ``close()`` once the ring has ended: stopping it ended every request of this
    /// connection, so the descriptor is closed here. No ring thread guards the lifecycle any
    /// more: the atomic flag picks the one caller that closes.
    func closeAfterRingEnded() throws(SocketError) {
        guard isClosedFlag.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { throw SocketError(.close, .badFileDescriptor, detail: "already closed") }
        lifecycle.closed()
        descriptor.closeWhenIdle()
    }

    /// Whether ``close()`` was called.
    public var isClosed: Bool { isClosedFlag.load(ordering: .acquiring) }

    /// Runs one call of this connection (on the ring thread), counted in flight so that
    /// ``close()`` can wait for it.
    func perform<Result>(
        _ call: ConnectionStateMachine.Call,
        _ body: () async throws -> Result
    ) async throws -> Result {
        try lifecycle.begin(call)
        defer { end(call) }
        return try await body()
    }

    /// Ends a call that `lifecycle.begin(_:)` let through; resumes a close waiting for it.
    func end(_ call: ConnectionStateMachine.Call) {
        if lifecycle.end(call), let closeWaiter {
            self.closeWaiter = nil
            closeWaiter.resume()
        }
    }
}
