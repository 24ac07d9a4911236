/// What a failed accept means to an accept loop: try again at once (the peer gave up, a
/// signal), after a pause (descriptors or memory exhausted: 10 ms, doubling up to 1 s, reset
/// by a success), or not at all.
struct AcceptBackoff {
    private(set) var delay = Duration.zero

    enum Decision: Equatable {
        case retry
        case retryAfter(Duration)
        case stop
    }

    mutating func failed(with error: SocketError) -> Decision {
        switch error.errno {
        case .connectionAbort, .interrupted, .protocolError:
            return .retry
        case .tooManyOpenFiles, .tooManyOpenFilesInSystem, .noBufferSpace, .noMemory:
            delay = min(max(delay * 2, .milliseconds(10)), .seconds(1))
            return .retryAfter(delay)
        default:
            return .stop
        }
    }

    mutating func succeeded() {
        delay = .zero
    }
}
