import Foundation
import Glibc

/// A child process started with Foundation's `Process`; only its own PID is ever signalled.
public final class ExampleProcess: @unchecked Sendable {
    public enum Status: Equatable {
        case exited(Int32)
        case signalled(Int32)
    }

    private let process = Process()
    private let output = Pipe()
    private let errors = Pipe()
    private let lock = NSLock()
    private var outputText = ""
    private var errorText = ""

    public init(_ executable: String, arguments: [String]) throws {
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

    public var standardOutput: String { lock.withLock { outputText } }
    public var standardError: String { lock.withLock { errorText } }
    public var isRunning: Bool { process.isRunning }

    /// The port of the `listening on HOST:PORT` line, waiting for it at most 10 seconds.
    public func announcedPort() async throws -> Int? {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, process.isRunning {
            for line in standardOutput.split(separator: "\n") where line.hasPrefix("listening on ") {
                if let colon = line.lastIndex(of: ":") { return Int(line[line.index(after: colon)...]) }
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    public func signal(_ number: Int32) {
        if process.isRunning { Glibc.kill(process.processIdentifier, number) }
    }

    /// Waits for the process to end.
    /// - Returns: how it ended, or nil when it still runs after `timeout`.
    public func waitForExit(timeout: Duration) async -> Status? {
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
    public func kill() {
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        output.fileHandleForReading.readabilityHandler = nil
        errors.fileHandleForReading.readabilityHandler = nil
    }
}

/// An executable of this package, from the build directory of the test binary.
public func builtExecutable(_ name: String) -> String? {
    var directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        directory.deleteLastPathComponent()
    }
    return nil
}
