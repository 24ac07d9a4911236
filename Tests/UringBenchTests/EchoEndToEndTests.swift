import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import Foundation
import Testing

@testable import uring_bench

/// Real loopback runs of the load generator against the echo server, in process and as a
/// child process.
@Suite(.serialized) struct EchoEndToEndTests {
    @Test(.timeLimit(.minutes(1))) func loadAgainstInProcessServer() async throws {
        let serverGroup = try RingGroup(numberOfRings: 1)
        let clientGroup = try RingGroup(numberOfRings: 1)
        let listener = try TCPListener.bind(host: "127.0.0.1", port: 0, group: serverGroup)
        let server = EchoServerCommand.makeServer(listener: listener, gracePeriod: .milliseconds(200))
        let serverTask = Task { try await server.run() }
        let plan = EchoLoadPlan(
            address: listener.localAddress,
            connections: 2,
            size: 300,
            warmupSeconds: 0.2,
            durationSeconds: 1
        )
        let tally = await EchoLoad.run(plan, group: clientGroup)
        server.triggerGracefulShutdown()
        try await serverTask.value
        await clientGroup.shutdown()
        await serverGroup.shutdown()
        #expect(tally.roundTrips > 0)
        #expect(tally.roundTripsIncludingWarmup > tally.roundTrips)
        #expect(tally.errors == 0)
        #expect(tally.stalled == 0)
        #expect(tally.failedConnections == 0)
        let report = tally.report(
            size: plan.size,
            durationSeconds: plan.durationSeconds,
            serverMicrosecondsPerRoundTrip: nil
        )
        #expect(report.isSuccess)
        #expect(report.p50Microseconds > 0 && report.p50Microseconds <= report.p99Microseconds)
    }

    @Test(.timeLimit(.minutes(1))) func largeMessagesArriveInPiecesAndAreChecked() async throws {
        let group = try RingGroup(numberOfRings: 2)
        let listener = try TCPListener.bind(host: "127.0.0.1", port: 0, group: group)
        let server = EchoServerCommand.makeServer(listener: listener, gracePeriod: .milliseconds(200))
        let serverTask = Task { try await server.run() }
        let plan = EchoLoadPlan(
            address: listener.localAddress,
            connections: 3,
            size: 100_000,
            warmupSeconds: 0,
            durationSeconds: 0.5
        )
        let tally = await EchoLoad.run(plan, group: group)
        server.triggerGracefulShutdown()
        try await serverTask.value
        await group.shutdown()
        #expect(tally.roundTrips > 0)
        #expect(tally.errors == 0 && tally.stalled == 0 && tally.failedConnections == 0)
    }

    @Test(.timeLimit(.minutes(1))) func refusedConnectionsAreCounted() async throws {
        let group = try RingGroup(numberOfRings: 1)
        let port = try #require(Loopback.freePort())
        let plan = EchoLoadPlan(
            address: try SocketAddress("127.0.0.1:\(port)"),
            connections: 2,
            size: 64,
            warmupSeconds: 0,
            durationSeconds: 0.2
        )
        let tally = await EchoLoad.run(plan, group: group)
        await group.shutdown()
        #expect(tally.failedConnections == 2)
        #expect(tally.roundTrips == 0)
        #expect(tally.firstError?.contains("connect failed") == true)
    }

    @Test(.timeLimit(.minutes(1))) func wrongAndMissingEchoesAreErrorsAndStalls() async throws {
        let group = try RingGroup(numberOfRings: 1)
        let listener = try TCPListener.bind(host: "127.0.0.1", port: 0, group: group)
        // Connection 0's echo is garbled; connection 1 never gets one.
        let server = TCPServer(listener: listener, gracePeriod: .milliseconds(100)) { connection in
            var buffer = [UInt8](repeating: 0, count: 1024)
            guard let count = try await connection.receive(into: &buffer) else { return }
            if buffer[8] == EchoPattern.bytes(count: 9, seed: 0)[8] {
                buffer[count - 1] &+= 1
                try await connection.send(buffer[..<count])
            }
            while try await connection.receive(into: &buffer) != nil {}
        }
        let serverTask = Task { try await server.run() }
        var plan = EchoLoadPlan(
            address: listener.localAddress,
            connections: 2,
            size: 64,
            warmupSeconds: 0,
            durationSeconds: 0.3
        )
        plan.stallGraceSeconds = 0.3
        let tally = await EchoLoad.run(plan, group: group)
        server.triggerGracefulShutdown()
        try await serverTask.value
        await group.shutdown()
        #expect(tally.errors == 1)
        #expect(tally.stalled == 1)
        #expect(tally.roundTrips == 0)
        #expect(tally.firstError != nil)
    }

    /// The real `uring-bench echo-server` as a child, on each driver: started the runner's
    /// way, loaded, stopped with SIGTERM, which it answers by exiting 0.
    @Test(.timeLimit(.minutes(1)), arguments: [ServerKind.asyncUring, .asyncUringEpoll])
    func echoServerProcessServesAndStopsOnSIGTERM(kind: ServerKind) async throws {
        let executable = try #require(Self.builtExecutable(), "uring-bench is built beside the tests")
        let server = BenchServer(kind: kind, executable: executable)
        let running = try await RunningServer.start(server, pinning: CPUPinning(tasksetPath: nil))
        let group = try RingGroup(numberOfRings: 1)
        let plan = EchoLoadPlan(
            address: try SocketAddress("127.0.0.1:\(running.port)"),
            connections: 2,
            size: 64,
            warmupSeconds: 0.2,
            durationSeconds: 0.8
        )
        let tally = await EchoLoad.run(plan, group: group)
        await group.shutdown()
        let cpu = try #require(running.cpuMicroseconds)
        await running.stop()
        #expect(running.child.output.isFinished)
        #expect(tally.roundTrips > 0 && tally.errors == 0 && tally.failedConnections == 0)
        #expect(cpu > 0)
        #expect(running.child.exitStatus == 0)
        #expect(running.child.output.lines.contains("driver: \(try #require(kind.driver))"))
    }

    @Test(.timeLimit(.minutes(1))) func aServerThatExitsFailsToStart() async throws {
        let server = BenchServer(kind: .nioEchoAsync, executable: "/bin/false")
        await #expect(throws: RunnerError.self) {
            _ = try await RunningServer.start(server, pinning: CPUPinning(tasksetPath: nil))
        }
    }

    @Test(.timeLimit(.minutes(1))) func childProcessIsTerminatedAndLeaksNoDescriptor() async throws {
        let descriptorsBefore = openDescriptorCount()
        let child = try ChildProcess.launch(
            name: "sleeper",
            executable: "/bin/sh",
            arguments: ["-c", "echo listening on 127.0.0.1:4242; exec sleep 30"],
            capturesStandardError: false
        )
        let deadline = ContinuousClock.now + .seconds(5)
        while RunningServer.announcedPort(in: child.output.lines) == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(RunningServer.announcedPort(in: child.output.lines) == 4242)
        #expect(child.isRunning)
        await child.terminate(timeout: .seconds(2))
        #expect(!child.isRunning)
        #expect(child.exitStatus == SIGTERM)
        #expect(child.output.isFinished)
        #expect(openDescriptorCount() == descriptorsBefore)
    }

    /// `uring-bench` in the build directory of this test binary.
    static func builtExecutable() -> String? {
        let testBinary = selfExecutablePath()
        var directory = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("uring-bench").path
            if isExecutable(candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return nil
    }
}
