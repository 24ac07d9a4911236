import AsyncUring
import AsyncUringSocket
import Foundation
import Testing

@testable import uring_bench

/// `uring-bench echo-server` as a child process under a low descriptor limit, flooded with
/// more connections than the limit: out of descriptors, a Swift process dies (libdispatch's
/// worker pool monitor traps when it cannot open /proc), so the server must stop accepting
/// before the process reaches the limit, and carry on once the flood is gone.
@Suite(.serialized) struct EchoServerFloodTests {
    /// The child's `RLIMIT_NOFILE`, soft and hard.
    static let descriptorLimit = 256
    static let floodConnections = 600
    static let rounds = 3

    @Test(.timeLimit(.minutes(1))) func floodBeyondTheDescriptorLimitNeverExhaustsTheServer() async throws {
        let executable = try #require(EchoEndToEndTests.builtExecutable(), "uring-bench is built beside the tests")
        try #require(Self.raiseOwnDescriptorLimit(to: Self.floodConnections + 200))
        // `ulimit -n` in sh sets the soft and the hard limit; exec keeps the PID.
        let child = try ChildProcess.launch(
            name: "echo-server",
            executable: "/bin/sh",
            arguments: ["-c", "ulimit -n \(Self.descriptorLimit) && exec \"$0\" echo-server --port 0", executable],
            capturesStandardError: true
        )
        do {
            try await floodAndCheck(child)
        } catch {
            await child.terminate()
            throw error
        }
        await child.terminate()
        #expect(child.exitStatus == 0, "the server did not stop cleanly on SIGTERM")
    }

    private func floodAndCheck(_ child: ChildProcess) async throws {
        let port = try await Self.announcedPort(of: child)
        let baseline = try #require(Self.descriptorCount(of: child.pid))
        var highest = baseline
        for _ in 0..<Self.rounds {
            let flood = Self.openConnections(Self.floodConnections, port: port)
            #expect(flood.count == Self.floodConnections, "the test process could not open its sockets")
            // Held for a second: the server takes what it may while the rest wait in the
            // listen backlog.
            let heldUntil = ContinuousClock.now + .seconds(1)
            while ContinuousClock.now < heldUntil, child.isRunning {
                highest = max(highest, Self.descriptorCount(of: child.pid) ?? 0)
                try await Task.sleep(for: .milliseconds(10))
            }
            for fd in flood { close(fd) }
            try await Task.sleep(for: .milliseconds(300))
            guard child.isRunning else { break }
        }
        let log = child.errorOutput?.lines ?? []
        try #require(
            child.isRunning,
            "the server died (status \(child.exitStatus ?? -1)): \(RunningServer.log(of: child))"
        )
        #expect(
            highest <= Self.descriptorLimit - 16,
            "the server held \(highest) of its \(Self.descriptorLimit) descriptors: no reserve left"
        )
        #expect(!log.contains { $0.contains("Too many open files") }, "accept reached EMFILE")
        #expect(log.contains { $0.contains("accepting paused") }, "the pause at the limit was not logged")
        #expect(log.contains { $0.contains("accepting resumed") }, "the resumption was not logged")

        // Every flood connection ended: the server's descriptors come back to where they
        // started (Dispatch may have opened a few of its own meanwhile), and it still echoes.
        let settleDeadline = ContinuousClock.now + .seconds(10)
        var settled = Self.descriptorCount(of: child.pid) ?? Int.max
        while settled > baseline + 8, ContinuousClock.now < settleDeadline {
            try await Task.sleep(for: .milliseconds(20))
            settled = Self.descriptorCount(of: child.pid) ?? Int.max
        }
        #expect(settled <= baseline + 8, "\(settled) descriptors open after the floods, \(baseline) before")
        try await Self.expectEcho(port: port)
    }

    /// Waits for the child's `listening on HOST:PORT` line.
    static func announcedPort(of child: ChildProcess) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, child.isRunning {
            if let port = RunningServer.announcedPort(in: child.output.lines) { return port }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the server did not start: \(RunningServer.log(of: child))")
        throw CancellationError()
    }

    static func expectEcho(port: Int) async throws {
        let group = try RingGroup(numberOfRings: 1)
        do {
            let connection = try await TCPConnection.connect(
                to: try SocketAddress("127.0.0.1:\(port)"),
                timeout: .seconds(5)
            )
            try await connection.send("still serving")
            var echoed: [UInt8] = []
            while echoed.count < 13, let bytes = try await connection.receive(maxBytes: 64, timeout: .seconds(5)) {
                echoed += bytes
            }
            #expect(echoed == Array("still serving".utf8))
            try await connection.close()
        } catch {
            await group.shutdown()
            throw error
        }
        await group.shutdown()
    }

    /// Starts `count` non-blocking connects to 127.0.0.1:`port` at once; the kernel completes
    /// them into the server's listen backlog whether or not it accepts them.
    static func openConnections(_ count: Int, port: Int) -> [Int32] {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(truncatingIfNeeded: port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var descriptors: [Int32] = []
        for _ in 0..<count {
            let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
            let fd = socket(AF_INET, type, 0)
            guard fd >= 0 else { break }
            let result = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard result == 0 || errno == EINPROGRESS else {
                close(fd)
                break
            }
            descriptors.append(fd)
        }
        return descriptors
    }

    /// The number of descriptors `pid` has open, from /proc; nil once it has ended.
    static func descriptorCount(of pid: pid_t) -> Int? {
        try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
    }

    /// Raises this process's soft descriptor limit to at least `minimum` (within the hard
    /// limit), for the flood's client sockets.
    /// - Returns: whether the soft limit is at least `minimum` now.
    static func raiseOwnDescriptorLimit(to minimum: Int) -> Bool {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur >= rlim_t(minimum) { return true }
        guard limit.rlim_max >= rlim_t(minimum) else { return false }
        limit.rlim_cur = rlim_t(minimum)
        return setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0
    }
}
