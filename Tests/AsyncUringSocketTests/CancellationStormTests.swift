import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import SystemPackage
import Testing

extension SocketTests {
    /// Thousands of requests cancelled, or timing out, at the same moment, on rings whose
    /// submission and completion queues hold 8 entries: the cancels themselves overflow the
    /// submission queue.
    @Suite struct CancellationStormTests {
        static let tinyRings = RingConfiguration(submissionEntries: 8, completionEntries: 8)

        @Test func receivesAcceptsAndTimeoutsCancelledAtOnceLeaveNothingBehind() async throws {
            raiseDescriptorLimit()
            try await withLeakCheck {
                let group = try RingGroup(numberOfRings: 2, configuration: Self.tinyRings)
                let (server, running) = try runEchoServer(group: group)
                let clients = try await connect(1000, to: server.listener.localAddress, group: group)
                let listeners = try (0..<200).map { _ in try TCPListener.bind(port: 0, group: group) }

                let receives = clients[..<500].map { client in Task { try await client.receive(maxBytes: 100) } }
                let timeouts = clients[500...].map { client in
                    Task { try await client.receive(maxBytes: 100, timeout: .milliseconds(300)) }
                }
                let accepts = listeners[..<100].map { listener in Task { try await listener.accept() } }
                let iterations = listeners[100...].map { listener in
                    Task { () -> TCPConnection? in
                        for try await connection in listener.connections { return connection }
                        return nil
                    }
                }
                try await Task.sleep(for: .milliseconds(250))
                for task in receives { task.cancel() }
                for task in accepts { task.cancel() }
                for task in iterations { task.cancel() }

                var outcomes: [String: Int] = [:]
                for task in receives { outcomes[await Self.outcome(of: task), default: 0] += 1 }
                for task in timeouts { outcomes[await Self.outcome(of: task), default: 0] += 1 }
                for task in accepts { outcomes[await Self.outcome(of: task), default: 0] += 1 }
                for task in iterations { outcomes[await Self.outcome(of: task), default: 0] += 1 }
                #expect(outcomes == ["cancelled": 700, "receive failed: ETIMEDOUT": 500], "\(outcomes)")

                // The rings still work: every twentieth client echoes, every listener accepts.
                for client in stride(from: 0, to: clients.count, by: 20).map({ clients[$0] }) {
                    try await client.send("still here")
                    #expect(
                        try await receiveExactly(10, from: client, timeout: .seconds(5)) == Array("still here".utf8)
                    )
                }
                for listener in listeners.prefix(10) {
                    async let accepted = listener.accept(timeout: .seconds(5))
                    let client = try await TCPConnection.connect(to: listener.localAddress, ring: group.next())
                    try await accepted.close()
                    try await client.close()
                }
                for client in clients { try await client.close() }
                for listener in listeners { await listener.close() }
                server.triggerGracefulShutdown()
                try await running.value
                await group.shutdown()
            }
        }

        @Test func cancellingThousandsOfConnectsInFlightLeaksNoDescriptor() async throws {
            raiseDescriptorLimit()
            try await withLeakCheck {
                let group = try RingGroup(numberOfRings: 1, configuration: Self.tinyRings)
                // A listener that never accepts, with a full backlog: connects stay pending.
                let stalled = try TCPListener.bind(port: 0, backlog: 0, group: group)
                var filling: [TCPConnection] = []
                while filling.count < 8,
                    let connection = try? await TCPConnection.connect(
                        to: stalled.localAddress,
                        timeout: .milliseconds(100),
                        ring: group.rings[0]
                    )
                {
                    filling.append(connection)
                }
                let connects = (0..<2000).map { _ in
                    Task { try await TCPConnection.connect(to: stalled.localAddress, ring: group.rings[0]) }
                }
                try await Task.sleep(for: .milliseconds(200))
                for task in connects { task.cancel() }
                var outcomes: [String: Int] = [:]
                for task in connects {
                    switch await task.result {
                    case .success(let connection):
                        outcomes["connected", default: 0] += 1
                        try await connection.close()
                    case .failure(let error):
                        outcomes[Self.describe(error), default: 0] += 1
                    }
                }
                #expect(outcomes["cancelled", default: 0] + outcomes["connected", default: 0] == 2000, "\(outcomes)")
                #expect(
                    try await group.rings[0].run { () async throws -> Bool in
                        try await group.rings[0].nop()
                        return true
                    }
                )
                for connection in filling { try await connection.close() }
                await stalled.close()
                await group.shutdown()
            }
        }

        /// `count` connections to `address`, connected concurrently.
        private func connect(_ count: Int, to address: SocketAddress, group: RingGroup) async throws -> [TCPConnection]
        {
            try await withThrowingTaskGroup(of: TCPConnection.self) { tasks in
                for _ in 0..<count {
                    tasks.addTask {
                        try await TCPConnection.connect(to: address, timeout: .seconds(10), ring: group.next())
                    }
                }
                return try await tasks.reduce(into: []) { $0.append($1) }
            }
        }

        private static func outcome<T>(of task: Task<T, any Error>) async -> String {
            switch await task.result {
            case .success: "succeeded"
            case .failure(let error): describe(error)
            }
        }

        private static func describe(_ error: any Error) -> String {
            switch error {
            case is CancellationError: "cancelled"
            case let error as SocketError: "\(error.operation.rawValue) failed: \(errnoName(error.errno))"
            default: "\(error)"
            }
        }

        private static func errnoName(_ errno: Errno) -> String {
            switch errno {
            case .timedOut: "ETIMEDOUT"
            case .canceled: "ECANCELED"
            default: "errno \(errno.rawValue)"
            }
        }
    }
}
