import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import SystemPackage
import Testing

extension SocketTests {
    @Suite struct CancellationTests {
        @Test func cancellingAPendingReceiveThrowsAndKeepsTheConnectionUsable() async throws {
            try await withEchoClient { client, _ in
                let pending = Task { try await client.receive(maxBytes: 100) }
                try await Task.sleep(for: .milliseconds(50))
                pending.cancel()
                await #expect(throws: CancellationError.self) { try await pending.value }
                try await client.send("after cancel")
                #expect(try await receiveExactly(12, from: client) == Array("after cancel".utf8))
            }
        }

        @Test func receiveInACancelledTaskLosesNoBytes() async throws {
            try await withEchoClient { client, _ in
                try await client.send("kept")
                try await Task.sleep(for: .milliseconds(50))  // the echo is waiting in the socket
                let cancelled = Task {
                    withUnsafeCurrentTask { $0?.cancel() }
                    return try await client.receive(maxBytes: 100)
                }
                // Either the data was delivered to the cancelled task, or it is still there.
                let delivered = try? await cancelled.value
                let rest = delivered == nil ? try await receiveExactly(4, from: client) : []
                #expect((delivered ?? rest) == Array("kept".utf8))
            }
        }

        @Test func cancellingATaskEndsAReceiveInsideItsCancellationScope() async throws {
            try await withEchoClient { client, _ in
                let pending = Task(executorPreference: client.ring) {
                    try await client.withCancellationScope { try await client.receive(maxBytes: 100) }
                }
                try await Task.sleep(for: .milliseconds(50))
                pending.cancel()
                await #expect(throws: CancellationError.self) { try await pending.value }
                // A scope in a task already cancelled does not wait at all.
                let late = Task(executorPreference: client.ring) {
                    withUnsafeCurrentTask { $0?.cancel() }
                    return try await client.withCancellationScope { try await client.receive(maxBytes: 100) }
                }
                await #expect(throws: CancellationError.self) { try await late.value }
                try await client.send("scoped")
                #expect(try await receiveExactly(6, from: client) == Array("scoped".utf8))
            }
        }

        @Test func aChildTaskInsideAScopeIsCancelledOnItsOwn() async throws {
            try await withEchoClient { client, _ in
                let outcome = try await Task(executorPreference: client.ring) { () async throws -> String in
                    try await client.withCancellationScope {
                        await withTaskGroup(of: String.self) { group in
                            group.addTask {
                                do {
                                    _ = try await client.receive(maxBytes: 100)
                                    return "received"
                                } catch is CancellationError {
                                    return "cancelled"
                                } catch {
                                    return "\(error)"
                                }
                            }
                            try? await Task.sleep(for: .milliseconds(50))
                            group.cancelAll()  // the child, not the scope's task
                            return await group.next() ?? "none"
                        }
                    }
                }.value
                #expect(outcome == "cancelled")
            }
        }

        @Test func cancellingAPendingAcceptThrows() async throws {
            try await withLeakCheck {
                let listener = try TCPListener.bind(port: 0)
                let pending = Task { try await listener.accept() }
                try await Task.sleep(for: .milliseconds(50))
                pending.cancel()
                await #expect(throws: CancellationError.self) { try await pending.value }
                // The listener still accepts.
                let (client, server) = try await connectAndAccept(listener)
                try await server.close()
                try await client.close()
                await listener.close()
            }
        }

        @Test func cancellingIterationOfConnectionsThrows() async throws {
            try await withLeakCheck {
                let listener = try TCPListener.bind(port: 0)
                let pending = Task { () -> TCPConnection? in
                    for try await connection in listener.connections { return connection }
                    return nil
                }
                try await Task.sleep(for: .milliseconds(50))
                pending.cancel()
                await #expect(throws: CancellationError.self) { try await pending.value }
                await listener.close()
            }
        }

        @Test func cancellingAPendingConnectThrows() async throws {
            try await withLeakCheck {
                let (listener, stalled) = try await makeStalledListener()
                let pending = Task { try await TCPConnection.connect(to: listener.localAddress) }
                try await Task.sleep(for: .milliseconds(100))
                pending.cancel()
                await #expect(throws: CancellationError.self) { try await pending.value }
                for connection in stalled { try await connection.close() }
                await listener.close()
            }
        }

        @Test func connectTimeout() async throws {
            try await withLeakCheck {
                let (listener, stalled) = try await makeStalledListener()
                let error = await #expect(throws: SocketError.self) {
                    try await TCPConnection.connect(to: listener.localAddress, timeout: .milliseconds(200))
                }
                #expect(error?.errno == .timedOut)
                #expect(error?.operation == .connect)
                for connection in stalled { try await connection.close() }
                await listener.close()
            }
        }

        @Test func closeWhileAReceiveIsPendingEndsTheReceive() async throws {
            try await withEchoClient { client, _ in
                let pending = Task { try await client.receive(maxBytes: 100) }
                try await Task.sleep(for: .milliseconds(50))
                try await client.close()
                // The same error as a receive called after the close: the task was not cancelled.
                let error = await #expect(throws: SocketError.self) { try await pending.value }
                #expect(error?.errno == .badFileDescriptor)
                #expect(error?.detail == "connection closed")
            }
        }

        /// A listener whose accept queue is full (backlog 0, never accepting): further SYNs are
        /// dropped, so a connect to it stays pending.
        private func makeStalledListener() async throws -> (TCPListener, [TCPConnection]) {
            let listener = try TCPListener.bind(port: 0, backlog: 0)
            var stalled: [TCPConnection] = []
            for _ in 0..<4 {
                do {
                    stalled.append(
                        try await TCPConnection.connect(to: listener.localAddress, timeout: .milliseconds(100))
                    )
                } catch let error as SocketError where error.errno == .timedOut {
                    return (listener, stalled)
                }
            }
            Issue.record("the accept queue never filled")
            return (listener, stalled)
        }
    }
}
