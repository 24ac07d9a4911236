import SystemPackage

/// The lifecycle of a ``TCPConnection``, as a value: open, closing, closed; which calls are
/// in flight (one receive, any number of sends, which queue, one control request: connect
/// or shutdown); whether writing was shut down; and the error that ended the connection.
///
/// ``TCPConnection`` feeds it events and performs what they return. Events that are not
/// allowed in the current state throw a ``SocketError`` (`EBADF` once closing began,
/// `EPIPE` for a send after `shutdown(.write)`, `EALREADY` for a second receive or control
/// call or a second split); nothing traps.
///
/// After ``TCPConnection/split()`` it also counts the halves still held: a receive after the
/// read half was released, or a send after the write half was, throws `EBADF`, and releasing
/// the last half closes the connection.
struct ConnectionStateMachine {
    enum State: Equatable {
        case open
        /// ``TCPConnection/close()`` runs: no new call starts; it waits for those in flight.
        case closing
        case closed
    }

    /// A call on the connection.
    enum Call: Equatable {
        case connect
        case receive
        case send
        case shutdownRead
        /// `shutdown(.write)` or `.both`: after it, sends are refused.
        case shutdownWrite
    }

    private(set) var state = State.open
    private(set) var isReceiving = false
    /// Sends in flight: they queue, in order, in the connection's send queue.
    private(set) var sendsInFlight = 0
    /// A connect or shutdown is in flight: they share one operation state object.
    private(set) var isControlling = false
    /// Calls in flight, which ``TCPConnection/close()`` waits for.
    private(set) var callsInFlight = 0
    /// `shutdown(.write)` was called: later sends are refused, and a later `EPIPE` is ours,
    /// not the peer's.
    private(set) var isWriteShutDown = false
    /// The error that ended the connection, once a send found it dead.
    private(set) var failure: Errno?
    /// ``TCPConnection/split()`` made the two halves.
    private(set) var isSplit = false
    /// The read half was split off and not released yet.
    private(set) var isReadHalfHeld = false
    /// The write half was split off and not released yet.
    private(set) var isWriteHalfHeld = false

    /// One of the halves ``TCPConnection/split()`` makes.
    enum Half: String, Equatable {
        case read, write
    }

    /// A call begins.
    mutating func begin(_ call: Call) throws(SocketError) {
        let operation = call.operation
        guard state == .open else { throw SocketError(operation, .badFileDescriptor, detail: "connection closed") }
        switch call {
        case .receive where isReleased(.read):
            throw SocketError(operation, .badFileDescriptor, detail: "read half closed")
        case .send where isReleased(.write):
            throw SocketError(operation, .badFileDescriptor, detail: "write half closed")
        case .receive:
            guard !isReceiving else {
                throw SocketError(operation, .alreadyInProcess, detail: "another receive is in flight")
            }
            isReceiving = true
        case .send:
            guard !isWriteShutDown else { throw SocketError(operation, .brokenPipe, detail: "writing was shut down") }
            sendsInFlight += 1
        case .connect, .shutdownRead:
            guard !isControlling else {
                throw SocketError(operation, .alreadyInProcess, detail: "a connect or shutdown is in flight")
            }
            isControlling = true
        case .shutdownWrite:
            guard !isControlling else {
                throw SocketError(operation, .alreadyInProcess, detail: "a connect or shutdown is in flight")
            }
            isControlling = true
            // The FIN goes after the bytes queued so far; bytes queued later would follow it.
            isWriteShutDown = true
        }
        callsInFlight += 1
    }

    /// A call that ``begin(_:)`` let through ended; true when a waiting close may go on. A
    /// call that is not in flight changes nothing.
    mutating func end(_ call: Call) -> Bool {
        guard isInFlight(call) else { return false }
        switch call {
        case .receive: isReceiving = false
        case .send: sendsInFlight -= 1
        case .connect, .shutdownRead, .shutdownWrite: isControlling = false
        }
        callsInFlight -= 1
        return state == .closing && callsInFlight == 0
    }

    private func isInFlight(_ call: Call) -> Bool {
        switch call {
        case .receive: isReceiving
        case .send: sendsInFlight > 0
        case .connect, .shutdownRead, .shutdownWrite: isControlling
        }
    }

    /// A send failed with `error` (not a cancellation). Returns true when the failure ends
    /// the connection, so the receive side must end with it too: the kernel may never
    /// complete a receive armed on a reset connection.
    mutating func sendFailed(_ error: Errno) -> Bool {
        guard failure == nil, Self.endsConnection(error, afterWriteShutdown: isWriteShutDown) else { return false }
        failure = error
        return true
    }

    static func endsConnection(_ error: Errno, afterWriteShutdown: Bool) -> Bool {
        switch error {
        case .brokenPipe: !afterWriteShutdown
        case .connectionReset, .connectionAbort, .socketNotConnected, .timedOut, .noRouteToHost, .networkUnreachable,
            .networkDown, .networkReset:
            true
        default: false
        }
    }

    enum CloseAction: Equatable {
        /// Stop the requests and wait for the calls in flight to end first.
        case waitForCalls
        /// Stop the requests; no call is in flight.
        case proceed
    }

    /// ``TCPConnection/close()`` was called.
    mutating func closeRequested() throws(SocketError) -> CloseAction {
        guard state == .open else { throw SocketError(.close, .badFileDescriptor, detail: "already closed") }
        state = .closing
        return callsInFlight > 0 ? .waitForCalls : .proceed
    }

    /// The descriptor was closed (or handed to the ring to close).
    mutating func closed() {
        state = .closed
    }

    // MARK: Halves

    /// ``TCPConnection/split()`` was called: both halves are held from now on.
    mutating func splitRequested() throws(SocketError) {
        guard state == .open else { throw SocketError(.split, .badFileDescriptor, detail: "connection closed") }
        guard !isSplit else { throw SocketError(.split, .alreadyInProcess, detail: "already split") }
        isSplit = true
        isReadHalfHeld = true
        isWriteHalfHeld = true
    }

    enum HalfReleaseAction: Equatable {
        /// The other half is still held, or the connection is already closing.
        case keepOpen
        /// That was the last half: close the connection.
        case close
    }

    /// A half was closed or dropped.
    mutating func halfReleased(_ half: Half) throws(SocketError) -> HalfReleaseAction {
        guard isSplit else { throw SocketError(.split, .badFileDescriptor, detail: "the connection was not split") }
        guard !isReleased(half) else {
            throw SocketError(.close, .badFileDescriptor, detail: "\(half.rawValue) half already closed")
        }
        switch half {
        case .read: isReadHalfHeld = false
        case .write: isWriteHalfHeld = false
        }
        guard !isReadHalfHeld, !isWriteHalfHeld, state == .open else { return .keepOpen }
        return .close
    }

    /// Whether `half` was split off and released since.
    func isReleased(_ half: Half) -> Bool {
        guard isSplit else { return false }
        return switch half {
        case .read: !isReadHalfHeld
        case .write: !isWriteHalfHeld
        }
    }
}

extension ConnectionStateMachine.Call {
    var operation: SocketError.Operation {
        switch self {
        case .connect: .connect
        case .receive: .receive
        case .send: .send
        case .shutdownRead, .shutdownWrite: .shutdown
        }
    }
}
