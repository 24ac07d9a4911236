import Foundation
import Testing

@testable import uring_bench

/// The CPU time of a process tree, read from /proc for a real tree of processes.
@Suite struct ProcessTreeTests {
    /// `sh` whose background child burns CPU in a counting loop, then becomes `sleep 30`
    /// (exec keeps its PID and its CPU time), while `sh` waits for it.
    static let script = "(i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; exec sleep 30) & wait"

    @Test(.timeLimit(.minutes(1))) func treeTimeCountsTheDescendants() async throws {
        let shell = try ChildProcess.launch(
            name: "sh",
            executable: "/bin/sh",
            arguments: ["-c", Self.script],
            capturesStandardError: true
        )
        var sleeper: Int32?
        defer {
            if let sleeper { kill(sleeper, SIGKILL) }
        }
        // Wait (within the test's time limit) until the child has finished counting.
        while sleeper == nil, shell.isRunning {
            sleeper = ProcessCPUTime.descendants(of: shell.pid).first { Self.command(of: $0) == "sleep" }
            if sleeper == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        let child = try #require(sleeper)
        #expect(ProcessCPUTime.descendants(of: shell.pid) == [child])
        #expect(ProcessCPUTime.parentsByPID()[child] == shell.pid)
        let own = try #require(ProcessCPUTime.microseconds(of: shell.pid))
        let childTime = try #require(ProcessCPUTime.microseconds(of: child))
        let tree = try #require(ProcessCPUTime.treeMicroseconds(of: shell.pid))
        #expect(childTime > 0, "the counting loop used no CPU tick")
        #expect(tree >= own + childTime)
        kill(child, SIGKILL)
        sleeper = nil
        // `wait` returns once its child has ended, and sh with it.
        #expect(await shell.waitForExit(timeout: .seconds(30)) != nil)
        await shell.terminate(timeout: .seconds(2))
        #expect(ProcessCPUTime.treeMicroseconds(of: shell.pid) == nil)
    }

    @Test func parentPIDFromStat() {
        let stat = "4242 (a (tricky) name) S 17 4242 4242 0 -1 4194560 100 0 0 0 3 4 0 0 20 0 1 0 99 0 0"
        #expect(ProcessCPUTime.parentPID(fromStat: stat) == 17)
        #expect(ProcessCPUTime.parentPID(fromStat: "garbage") == nil)
    }

    @Test func processIdentityTellsAReusedPIDApart() throws {
        let me = try #require(ProcessIdentity(pid: getpid()))
        #expect(me.isAlive)
        var other = me
        other.startTime += 1
        #expect(!other.isAlive)
        #expect(ProcessIdentity(pid: -1) == nil)
    }

    /// The process's command name, from /proc/PID/comm.
    static func command(of pid: Int32) -> String? {
        (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
