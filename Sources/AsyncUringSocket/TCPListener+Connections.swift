import AsyncUring
import Logging
import SystemPackage

extension TCPListener {
    /// The accepted connections, as an async sequence backed by one multishot accept request
    /// (`IORING_OP_ACCEPT` with `IORING_ACCEPT_MULTISHOT`), armed again whenever the kernel
    /// ends it.
    ///
    /// Transient accept failures do not end the sequence: `ECONNABORTED` is skipped, and on
    /// descriptor or memory exhaustion (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`) it backs off
    /// (10 ms doubling to 1 s, logged as a warning) and tries again. It ends (nil) when the
    /// listener is closed and throws on any other error. Iterate it from one task at a time:
    /// a second task waiting at the same time gets `EALREADY`.
    public var connections: Connections { Connections(listener: self) }

    public struct Connections: AsyncSequence, Sendable {
        public typealias Element = TCPConnection
        let listener: TCPListener

        public func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(listener: listener)
        }

        public struct AsyncIterator: AsyncIteratorProtocol {
            let listener: TCPListener
            var backoff = AcceptBackoff()

            public mutating func next() async throws -> TCPConnection? {
                while true {
                    do {
                        let connection = try await listener.nextConnection()
                        backoff.succeeded()
                        return connection
                    } catch let error as SocketError {
                        switch backoff.failed(with: error) {
                        case .retry:
                            continue
                        case .retryAfter(let delay):
                            listener.logger.warning(
                                "accept failed, backing off",
                                metadata: ["error": "\(error)", "backoff": "\(delay)"]
                            )
                            // On the caller's ring when it runs on one; see TCPServer.
                            try await Task.sleep(for: delay, clock: .ring)
                        case .stop:
                            throw error
                        }
                    }
                }
            }
        }
    }
}
