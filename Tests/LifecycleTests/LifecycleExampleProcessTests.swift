import AsyncUringSocket
import AsyncUringTestSupport
import Foundation
import Testing

/// The `lifecycle-example` executable as a child process, stopped with a real SIGTERM.
@Suite(.serialized) struct LifecycleExampleProcessTests {
    @Test(.timeLimit(.minutes(1)))
    func sigtermDrainsTheConnectionInFlightAndExitsZero() async throws {
        let executable = try #require(
            builtExecutable("lifecycle-example"),
            "lifecycle-example is built beside the tests"
        )
        let child = try ExampleProcess(executable, arguments: ["--port", "0", "--grace-period-seconds", "30"])
        defer { child.kill() }
        let port = try #require(try await child.announcedPort(), "no 'listening on' line: \(child.standardError)")
        let address = try SocketAddress("127.0.0.1:\(port)")

        let client = try await TCPConnection.connect(to: address)
        // A round trip: the server runs, so the ServiceGroup has trapped its signals.
        try await client.send("before")
        #expect(try await receiveString(6, from: client) == "before")

        child.signal(SIGTERM)
        try await waitUntilRefused(address)
        // The listener is closed, but the process waits for the connection in flight.
        try await Task.sleep(for: .milliseconds(200))
        #expect(child.isRunning)
        try await client.send("during")
        #expect(try await receiveString(6, from: client) == "during")

        // Ending the connection ends its handler: the server returns, the rings stop, exit 0.
        try await client.shutdown(.write)
        #expect(try await client.receive() == nil)
        try await client.close()
        let status = await child.waitForExit(timeout: .seconds(20))
        #expect(status == .exited(0), "stderr: \(child.standardError)")
        #expect(child.standardOutput.contains("stopped"))
    }

    @Test(.timeLimit(.minutes(1)))
    func sigtermWithNoConnectionExitsZeroAtOnce() async throws {
        let executable = try #require(builtExecutable("lifecycle-example"))
        let child = try ExampleProcess(executable, arguments: ["--port", "0", "--grace-period-seconds", "30"])
        defer { child.kill() }
        let port = try #require(try await child.announcedPort())
        let client = try await TCPConnection.connect(to: SocketAddress("127.0.0.1:\(port)"))
        try await client.send("x")
        #expect(try await receiveString(1, from: client) == "x")
        try await client.close()
        try await Task.sleep(for: .milliseconds(50))

        let start = ContinuousClock.now
        child.signal(SIGTERM)
        let status = await child.waitForExit(timeout: .seconds(20))
        #expect(status == .exited(0), "stderr: \(child.standardError)")
        #expect(ContinuousClock.now - start < .seconds(10), "it must not wait for the grace period")
    }
}
