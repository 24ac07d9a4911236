/// The lifecycle of a ``TCPListener``, as a value: open or closed, and which of its two
/// ways of accepting is in use (one `accept()` at a time, one task iterating `connections`).
///
/// Events that are not allowed throw a ``SocketError``; nothing traps.
struct ListenerStateMachine {
    enum Call: Equatable {
        /// ``TCPListener/accept(timeout:)``: owns the listener's accept state object.
        case accept
        /// A task waiting in the iteration of ``TCPListener/connections``.
        case iterate
    }

    private(set) var isClosed = false
    private(set) var isAccepting = false
    private(set) var isIterating = false

    /// A call begins; returns false when the listener is closed (the call reports that its
    /// own way: `accept` throws `EBADF`, the iteration ends).
    mutating func begin(_ call: Call) throws(SocketError) -> Bool {
        guard !isClosed else { return false }
        switch call {
        case .accept:
            guard !isAccepting else {
                throw SocketError(.accept, .alreadyInProcess, detail: "another accept is waiting")
            }
            isAccepting = true
        case .iterate:
            guard !isIterating else {
                throw SocketError(.accept, .alreadyInProcess, detail: "connections is iterated by another task")
            }
            isIterating = true
        }
        return true
    }

    mutating func end(_ call: Call) {
        switch call {
        case .accept: isAccepting = false
        case .iterate: isIterating = false
        }
    }

    /// Returns true the first time: the caller stops the requests and closes the descriptor.
    mutating func closeRequested() -> Bool {
        guard !isClosed else { return false }
        isClosed = true
        return true
    }
}
