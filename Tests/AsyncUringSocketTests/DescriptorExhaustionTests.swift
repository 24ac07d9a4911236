import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import Glibc
import SystemPackage
import Testing

extension SocketTests {
    /// `accept` failing with `EMFILE`, provoked by lowering `RLIMIT_NOFILE` to just above the
    /// descriptors in use and filling the slots left.
    ///
    /// A process out of descriptors dies when libdispatch's worker monitor, once a second,
    /// finds work queued on the global executor: it cannot open /proc/<tid>/stat and traps.
    /// So each test runs in a child process of its own (an exit test), on a ring's executor and
    /// sleeping on the ring's clock, as a server on the package runs: while descriptors are
    /// out, nothing goes through the global executor.
    @Suite struct DescriptorExhaustionTests {
        @Test func serverBacksOffOnEMFILEKeepsServingAndAcceptsOnceDescriptorsAreFree() async {
            await #expect(processExitsWith: .success) {
                try await onARing {
                    let (server, running) = try runEchoServer()
                    defer { running.cancel() }
                    let address = server.listener.localAddress
                    let existing = try await TCPConnection.connect(to: address)
                    try await existing.send("before")
                    #expect(try await receiveExactly(6, from: existing, timeout: .seconds(5)) == Array("before".utf8))

                    let (waiting, early) = try await withDescriptorLimit(Int(highestOpenDescriptor()) + 16) {
                        var filler = DescriptorFiller()
                        // The kernel reads the limit when an accept request is prepared, so the
                        // accept waiting since before keeps the old one: it takes this first
                        // connection, and the server's next accept has the lowered limit. The
                        // epoll driver accepts under the limit of the moment: it needs a slot too.
                        filler.freeOne()
                        if server.listener.ring.driver == .epoll { filler.freeOne() }
                        let early = try await TCPConnection.connect(to: address)
                        try await early.send("early")
                        #expect(try await receiveExactly(5, from: early, timeout: .seconds(5)) == Array("early".utf8))
                        filler.freeOne()
                        // The client's socket takes the last slot: the server's accept gets EMFILE.
                        let waiting = try await TCPConnection.connect(to: address)
                        try await waiting.send("x")

                        // A second of EMFILE: the server backs off instead of spinning, and still
                        // serves the connection it has.
                        let cpuBefore = processCPUTime()
                        try await Task.sleep(for: .seconds(1), clock: .ring)
                        try await existing.send("during")
                        #expect(
                            try await receiveExactly(6, from: existing, timeout: .seconds(5)) == Array("during".utf8)
                        )
                        let cpuUsed = processCPUTime() - cpuBefore
                        #expect(cpuUsed < .milliseconds(500), "the accept loop spun: \(cpuUsed) of CPU in 1 s")
                        #expect(server.openConnections == 2)
                        let notAccepted = await #expect(throws: SocketError.self) {
                            try await waiting.receive(maxBytes: 1, timeout: .milliseconds(50))
                        }
                        #expect(notAccepted?.errno == .timedOut)

                        // Descriptors free up: the same server accepts the waiting connection.
                        filler.release()
                        #expect(try await receiveExactly(1, from: waiting, timeout: .seconds(5)) == Array("x".utf8))
                        return (waiting, early)
                    }
                    #expect(server.openConnections == 3)
                    try await early.close()
                    try await waiting.send("after")
                    #expect(try await receiveExactly(5, from: waiting, timeout: .seconds(5)) == Array("after".utf8))
                    try await waiting.close()
                    try await existing.close()
                    server.triggerGracefulShutdown()
                    try await running.value
                }
            }
        }

        @Test func acceptThrowsTooManyOpenFilesAndTheListenerStillAccepts() async {
            await #expect(processExitsWith: .success) {
                try await onARing {
                    let listener = try TCPListener.bind(port: 0)
                    let (client, accepted) = try await withDescriptorLimit(Int(highestOpenDescriptor()) + 16) {
                        var filler = DescriptorFiller()
                        filler.freeOne()
                        let client = try await TCPConnection.connect(to: listener.localAddress)
                        let error = await #expect(throws: SocketError.self) { try await listener.accept() }
                        #expect(error?.errno == .tooManyOpenFiles)
                        #expect(error?.operation == .accept)
                        filler.release()
                        return (client, try await listener.accept(timeout: .seconds(5)))
                    }
                    try await client.send("served")
                    #expect(try await receiveExactly(6, from: accepted, timeout: .seconds(5)) == Array("served".utf8))
                    try await client.close()
                    try await accepted.close()
                    await listener.close()
                }
            }
        }

        @Test func connectionsSequenceWaitsOutEMFILEWithoutThrowing() async {
            await #expect(processExitsWith: .success) {
                try await onARing {
                    let listener = try TCPListener.bind(port: 0)
                    let iterating = Task(executorPreference: listener.ring) { () -> TCPConnection? in
                        for try await connection in listener.connections { return connection }
                        return nil
                    }
                    let client = try await withDescriptorLimit(Int(highestOpenDescriptor()) + 16) {
                        var filler = DescriptorFiller()
                        try await Task.sleep(for: .milliseconds(20), clock: .ring)
                        try await listener._testOnlyEndMultishotAccept()
                        try await Task.sleep(for: .milliseconds(20), clock: .ring)
                        filler.freeOne()
                        let client = try await TCPConnection.connect(to: listener.localAddress)
                        try await Task.sleep(for: .milliseconds(300), clock: .ring)
                        filler.release()
                        return client
                    }
                    let accepted = try #require(try await iterating.value)
                    try await client.send("late")
                    #expect(try await receiveExactly(4, from: accepted, timeout: .seconds(5)) == Array("late".utf8))
                    try await client.close()
                    try await accepted.close()
                    await listener.close()
                }
            }
        }
    }
}

/// Runs `body` under ``withLeakCheck(isolation:_:)`` with a ring of the shared group as the
/// task's executor: its awaits resume on the ring thread, not through the global executor.
private func onARing(_ body: @Sendable () async throws -> Void) async throws {
    let ring = try RingGroup.shared.next()
    try await withTaskExecutorPreference(ring) { try await withLeakCheck(body) }
}
