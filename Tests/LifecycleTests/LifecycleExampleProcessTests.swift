import AsyncUringSocket
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

/// A child process started with Foundation's `Process`; only its own PID is ever signalled.
final class ExampleProcess: @unchecked Sendable {
    enum Status: Equatable {
        case exited(Int32)
        case signalled(Int32)
    }

    private let process = Process()
    private let output = Pipe()
    private let errors = Pipe()
    private let lock = NSLock()
    private var outputText = ""
    private var errorText = ""

    init(_ executable: String, arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
        output.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            self?.lock.withLock { self?.outputText += text }
        }
        errors.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            self?.lock.withLock { self?.errorText += text }
        }
        try process.run()
    }

    var standardOutput: String { lock.withLock { outputText } }
    var standardError: String { lock.withLock { errorText } }
    var isRunning: Bool { process.isRunning }

    /// The port of the `listening on HOST:PORT` line, waiting for it at most 10 seconds.
    func announcedPort() async throws -> Int? {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, process.isRunning {
            for line in standardOutput.split(separator: "\n") where line.hasPrefix("listening on ") {
                if let colon = line.lastIndex(of: ":") { return Int(line[line.index(after: colon)...]) }
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    func signal(_ number: Int32) {
        if process.isRunning { Glibc.kill(process.processIdentifier, number) }
    }

    /// Waits for the process to end.
    /// - Returns: how it ended, or nil when it still runs after `timeout`.
    func waitForExit(timeout: Duration) async -> Status? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(10))
        }
        switch process.terminationReason {
        case .exit: return .exited(process.terminationStatus)
        case .uncaughtSignal: return .signalled(process.terminationStatus)
        @unknown default: return nil
        }
    }

    /// Stops the process if a test left it running.
    func kill() {
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        output.fileHandleForReading.readabilityHandler = nil
        errors.fileHandleForReading.readabilityHandler = nil
    }
}

/// An executable of this package, from the build directory of the test binary.
func builtExecutable(_ name: String) -> String? {
    var directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        directory.deleteLastPathComponent()
    }
    return nil
}
