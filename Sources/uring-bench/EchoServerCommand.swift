import ArgumentParser
import AsyncUring
import AsyncUringSocket
import Glibc

/// `uring-bench echo-server`: an echo server on AsyncUringSocket, the server the runner
/// measures. Prints `listening on HOST:PORT` once accepting and serves until SIGINT or
/// SIGTERM, then shuts down gracefully and exits 0.
struct EchoServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-server",
        abstract: "Echo every byte back on each connection, until SIGINT or SIGTERM."
    )

    @OptionGroup var server: ServerOptions

    func run() async throws {
        try await server.serve { listener in
            let echo = Self.makeServer(listener: listener, gracePeriod: server.gracePeriod)
            return ({ try await echo.run() }, { echo.triggerGracefulShutdown() })
        }
    }

    /// An echo server: each handler echoes until the peer half-closes, then returns (and the
    /// server closes the connection); a reset peer ends its handler with an error. The bytes
    /// go back out of the buffer they were received in, uncopied.
    static func makeServer(listener: TCPListener, gracePeriod: Duration) -> TCPServer {
        TCPServer(listener: listener, gracePeriod: gracePeriod) { connection in
            while let bytes = try await connection.receiveBytes() {
                try await connection.send(bytes)
            }
        }
    }
}

/// Prints one line to stdout and flushes it at once: stdout is a pipe under the runner.
func announce(_ line: String) {
    print(line)
    fflush(nil)
}

/// Raises the soft descriptor limit to the hard one: 500 connections need 500+ descriptors.
func raiseDescriptorLimit() {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}
