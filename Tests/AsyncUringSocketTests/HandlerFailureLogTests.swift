import AsyncUring
import AsyncUringTestSupport
import Synchronization
import Testing

@testable import AsyncUringSocket

extension SocketTests {
    @Suite struct HandlerFailureLogTests {
        struct UpstreamRefused: Error {}

        @Test func aFailingHandlerIsLoggedAtWarningLevelWithThePeer() async throws {
            try await withLeakCheck {
                let log = LogRecorder()
                let listener = try TCPListener.bind(host: "127.0.0.1", port: 0)
                let server = TCPServer(listener: listener, gracePeriod: .seconds(1), logger: log.logger) { connection in
                    _ = try await connection.receive(maxBytes: 16, timeout: .seconds(5))
                    throw UpstreamRefused()
                }
                let running = Task { try await server.run() }
                defer { running.cancel() }

                // Three failures within the rate limit's interval: one warning, the rest at debug level.
                var peers: [String] = []
                for _ in 0..<3 {
                    let client = try await TCPConnection.connect(to: listener.localAddress)
                    peers.append("\(try client.localAddress)")
                    try await client.send("x")
                    // The handler throws; the server closes the connection.
                    #expect(try await client.receive(maxBytes: 16, timeout: .seconds(5)) == nil)
                    try await client.close()
                }
                let warnings = log.records(at: .warning).filter { $0.message == "connection handler failed" }
                let quiet = log.records(at: .debug).filter { $0.message == "connection handler failed" }
                #expect(warnings.count + quiet.count == 3)
                let warning = try #require(warnings.first)
                #expect(warning.metadata["peer"] == peers[0])
                #expect(warning.metadata["error"]?.contains("UpstreamRefused") == true)
                // Unless the three took more than the interval, one warning stood for them.
                #expect(warnings.count >= 1 && warnings.count <= 3)
                #expect(Set(quiet.compactMap { $0.metadata["peer"] }).isSubset(of: Set(peers)))

                server.triggerGracefulShutdown()
                try await running.value
            }
        }

        @Test func aPeerResetIsLoggedAtDebugLevelOnly() async throws {
            try await withLeakCheck {
                let log = LogRecorder()
                let listener = try TCPListener.bind(host: "127.0.0.1", port: 0)
                let server = TCPServer(listener: listener, gracePeriod: .seconds(1), logger: log.logger) { connection in
                    throw SocketError(.receive, .connectionReset)
                }
                let running = Task { try await server.run() }
                defer { running.cancel() }
                let client = try await TCPConnection.connect(to: listener.localAddress)
                #expect(try await client.receive(maxBytes: 16, timeout: .seconds(5)) == nil)
                try await client.close()
                server.triggerGracefulShutdown()
                try await running.value
                #expect(log.records(at: .warning).isEmpty)
                #expect(log.messages(at: .debug).contains("connection handler failed"))
            }
        }

        @Test func oneLoudLinePerIntervalCountsTheQuietOnes() {
            let failures = HandlerFailureLog()
            let start = ContinuousClock.now
            let interval = TCPServer.handlerFailureLogInterval
            #expect(failures.admit(at: start) == .loud(suppressed: 0))
            #expect(failures.admit(at: start + interval / 2) == .quiet)
            #expect(failures.admit(at: start + interval * 0.9) == .quiet)
            #expect(failures.admit(at: start + interval) == .loud(suppressed: 2))
            #expect(failures.admit(at: start + interval * 1.5) == .quiet)
            #expect(failures.admit(at: start + interval * 3) == .loud(suppressed: 1))
        }
    }
}
