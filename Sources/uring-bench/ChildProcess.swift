import AsyncUring
import Foundation

/// A process the runner started, with `posix_spawn`. Only processes started here are ever
/// signalled, by their own PID, and only before they were reaped (so the PID cannot have
/// been reused); every one is registered with ``ChildRegistry`` until it has ended.
final class ChildProcess: Sendable {
    let name: String
    let pid: pid_t
    /// What the process writes to stdout.
    let output: OutputCollector
    /// What it writes to stderr, when captured; else it goes to the runner's stderr.
    let errorOutput: OutputCollector?
    /// The wait status once reaped.
    private let reapedStatus = Locked<Int32?>(nil)

    private init(name: String, pid: pid_t, output: OutputCollector, errorOutput: OutputCollector?) {
        self.name = name
        self.pid = pid
        self.output = output
        self.errorOutput = errorOutput
    }

    /// Starts `executable` with `arguments`, stdin from /dev/null, stdout captured.
    ///
    /// SIGINT, SIGTERM and SIGPIPE start at their default action and no signal is blocked in
    /// the child, whatever the runner did with them: an ignored signal would otherwise be
    /// inherited, and a server would not stop on SIGTERM.
    /// - Throws: ``RunnerError/launchFailed`` when the program cannot be started, or the
    ///   runner is shutting down.
    static func launch(
        name: String,
        executable: String,
        arguments: [String],
        capturesStandardError: Bool
    ) throws -> ChildProcess {
        try ChildRegistry.shared.register {
            let outputPipe = try PipeDescriptors.make(name: name)
            let errorPipe: PipeDescriptors?
            do { errorPipe = capturesStandardError ? try PipeDescriptors.make(name: name) : nil } catch {
                close(outputPipe.read)
                close(outputPipe.write)
                throw error
            }
            defer {
                // The child has its own copies of the write ends; closing ours lets the
                // readers see end of file when the child exits.
                close(outputPipe.write)
                if let errorPipe { close(errorPipe.write) }
            }
            let pid: pid_t
            do {
                pid = try Spawn.run(
                    executable,
                    arguments: arguments,
                    standardOutput: outputPipe.write,
                    standardError: errorPipe?.write
                )
            } catch {
                close(outputPipe.read)
                if let errorPipe { close(errorPipe.read) }
                throw RunnerError.launchFailed(name: name, detail: "\(executable): \(error)")
            }
            return ChildProcess(
                name: name,
                pid: pid,
                output: OutputCollector(reading: outputPipe.read),
                errorOutput: errorPipe.map { OutputCollector(reading: $0.read) }
            )
        }
    }

    /// Reaps the process if it has ended (`waitpid` with `WNOHANG`).
    /// - Returns: the wait status once it has ended.
    private func reap() -> Int32? {
        reapedStatus.withLock { reaped in
            if let reaped { return reaped }
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid {
                reaped = status
            } else if result < 0 && errno == ECHILD {
                reaped = -1  // reaped elsewhere; nothing left to signal
            }
            return reaped
        }
    }

    var isRunning: Bool { reap() == nil }

    /// The exit status, or the signal number for a process a signal ended; nil while running.
    var exitStatus: Int32? {
        guard let status = reap() else { return nil }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import.
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : signal
    }

    /// Sends `signal` unless the process was reaped already.
    private func send(_ signal: Int32) {
        reapedStatus.withLock { reaped in
            if reaped == nil { _ = kill(pid, signal) }
        }
    }

    /// Waits until the process ends or `timeout` passes.
    /// - Returns: the exit status, or nil on timeout.
    func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return exitStatus
    }

    /// Sends SIGTERM, then SIGKILL if the process has not ended within `timeout`, and
    /// waits for it to end and for its output to be read to the end (so its pipes are
    /// closed). Does nothing for a process that already ended.
    func terminate(timeout: Duration = .seconds(5)) async {
        send(SIGTERM)
        if await waitForExit(timeout: timeout) == nil {
            send(SIGKILL)
            _ = await waitForExit(timeout: .seconds(5))
        }
        ChildRegistry.shared.unregister(self)
        await output.waitForEnd(timeout: .seconds(1))
        await errorOutput?.waitForEnd(timeout: .seconds(1))
    }

    /// The synchronous form of ``terminate(timeout:)``, for the exit path.
    func terminateNow(timeout: Duration) {
        send(SIGTERM)
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while isRunning, clock.now < deadline { usleep(10_000) }
        if isRunning {
            send(SIGKILL)
            let killDeadline = clock.now + .seconds(2)
            while isRunning, clock.now < killDeadline { usleep(10_000) }
        }
    }

    /// Sends SIGTERM without waiting.
    func requestTermination() { send(SIGTERM) }
}

/// Every child still running, so that they can all be stopped on SIGINT, SIGTERM or an
/// error, and so that none is started once that began.
final class ChildRegistry: Sendable {
    static let shared = ChildRegistry()

    private struct State: ~Copyable {
        var children: [Int32: ChildProcess] = [:]
        var isClosed = false
    }

    private let state = Locked(State())

    /// Runs `launch` (which starts a process) and registers its child, under the lock, so a
    /// concurrent ``terminateAll(timeout:)`` cannot miss it.
    func register(_ launch: () throws -> ChildProcess) throws -> ChildProcess {
        try state.withLock { state in
            guard !state.isClosed else { throw RunnerError.interrupted }
            let child = try launch()
            state.children[child.pid] = child
            return child
        }
    }

    func unregister(_ child: ChildProcess) {
        _ = state.withLock { $0.children.removeValue(forKey: child.pid) }
    }

    /// Stops every registered child (SIGTERM, then SIGKILL after `timeout`) and refuses new
    /// ones.
    func terminateAll(timeout: Duration) {
        let children = state.withLock { state in
            state.isClosed = true
            defer { state.children = [:] }
            return Array(state.children.values)
        }
        for child in children { child.requestTermination() }
        for child in children { child.terminateNow(timeout: timeout) }
    }
}

/// Reads a pipe to its end on a thread of its own and keeps the text as lines.
final class OutputCollector: Sendable {
    private struct State {
        var lines: [String] = []
        var partial: [UInt8] = []
        var droppedLines = 0
        var isFinished = false
    }

    /// Lines kept; older ones are dropped (the runner needs the first and the last few).
    static let keptLines = 2000
    private let state = Locked(State())

    /// Starts reading `descriptor`, which it closes at end of file.
    init(reading descriptor: Int32) {
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(descriptor, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                append(buffer[..<count])
            }
            close(descriptor)
            state.withLock { state in
                if !state.partial.isEmpty { state.lines.append(String(decoding: state.partial, as: UTF8.self)) }
                state.partial = []
                state.isFinished = true
            }
        }
    }

    private func append(_ bytes: ArraySlice<UInt8>) {
        state.withLock { state in
            for byte in bytes {
                if byte == UInt8(ascii: "\n") {
                    state.lines.append(String(decoding: state.partial, as: UTF8.self))
                    state.partial.removeAll(keepingCapacity: true)
                } else {
                    state.partial.append(byte)
                }
            }
            if state.lines.count > Self.keptLines {
                let excess = state.lines.count - Self.keptLines
                state.lines.removeFirst(excess)
                state.droppedLines += excess
            }
        }
    }

    /// The complete lines so far.
    var lines: [String] { state.withLock { $0.lines } }

    /// Whether the writer closed the pipe (the process ended).
    var isFinished: Bool { state.withLock { $0.isFinished } }

    /// Waits until the pipe's end, at most `timeout`.
    func waitForEnd(timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while !isFinished, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// The last `count` lines, joined, for error messages.
    func tail(_ count: Int = 10) -> String {
        lines.suffix(count).joined(separator: "\n")
    }
}
