import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import Foundation
import Glibc
import Testing

/// The `example-proxy` executable as a child process, in front of an in-process echo server.
@Suite(.serialized) struct ProxyExampleTests {
    /// An echo server on its own ring group: it echoes until the peer half-closes, then
    /// returns, and the server closes the connection.
    final class Upstream: Sendable {
        let group: RingGroup
        let server: TCPServer
        let task: Task<Void, any Error>

        init() throws {
            group = try RingGroup(numberOfRings: 1)
            let listener = try TCPListener.bind(port: 0, group: group)
            let server = TCPServer(listener: listener, gracePeriod: .seconds(1)) { connection in
                while let bytes = try await connection.receiveBytes() { try await connection.send(bytes) }
            }
            self.server = server
            task = Task { try await server.run() }
        }

        var endpoint: String { "127.0.0.1:\(server.listener.localAddress.port ?? 0)" }

        func stop() async {
            server.triggerGracefulShutdown()
            _ = try? await task.value
            await group.shutdown()
        }
    }

    /// Starts the proxy in front of `upstream` and returns it with the address it listens on.
    static func startProxy(upstream: String) async throws -> (ExampleProcess, SocketAddress) {
        let executable = try #require(builtExecutable("example-proxy"), "example-proxy is built beside the tests")
        let child = try ExampleProcess(
            executable,
            arguments: ["--port", "0", "--upstream", upstream, "--grace-period-seconds", "5"]
        )
        let port = try #require(try await child.announcedPort(), "no 'listening on' line: \(child.standardError)")
        return (child, try SocketAddress("127.0.0.1:\(port)"))
    }

    /// Every byte `connection` receives until end of stream.
    static func receiveAll(from connection: TCPConnection) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let chunk = try await connection.receive(maxBytes: 1 << 20, timeout: .seconds(20)) { bytes += chunk }
        return bytes
    }

    /// Bytes that show misplaced or lost bytes, different per `seed`.
    static func pattern(count: Int, seed: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: ($0 % 251) + seed) }
    }

    @Test(.timeLimit(.minutes(1)))
    func bytesRoundTripIntactForConcurrentClients() async throws {
        let upstream = try Upstream()
        let (child, address) = try await Self.startProxy(upstream: upstream.endpoint)
        defer { child.kill() }
        try await withThrowingTaskGroup(of: Void.self) { clients in
            for seed in 0..<6 {
                clients.addTask {
                    let client = try await TCPConnection.connect(to: address)
                    let bytes = Self.pattern(count: 1 << 20, seed: seed)
                    async let echoed = Self.receiveAll(from: client)
                    for start in stride(from: 0, to: bytes.count, by: 100_000) {
                        try await client.send(bytes[start..<min(start + 100_000, bytes.count)])
                    }
                    try await client.shutdown(.write)
                    let received = try await echoed
                    #expect(received == bytes, "client \(seed): \(received.count) bytes back")
                    try await client.close()
                }
            }
            try await clients.waitForAll()
        }
        child.signal(SIGTERM)
        #expect(await child.waitForExit(timeout: .seconds(20)) == .exited(0), "stderr: \(child.standardError)")
        await upstream.stop()
    }

    /// 64 MiB up through the proxy to the echo server and back, compared byte for byte as
    /// it arrives (the pattern repeats every 251 bytes, so each chunk is compared with
    /// `memcmp` against one template).
    @Test(.timeLimit(.minutes(2)))
    func aLargeTransferPassesByteExact() async throws {
        let upstream = try Upstream()
        let (child, address) = try await Self.startProxy(upstream: upstream.endpoint)
        defer { child.kill() }
        let total = 64 << 20
        let block = Self.pattern(count: 251 * 4000, seed: 9)
        let template = Self.pattern(count: (1 << 20) + 251, seed: 9)
        let client = try await TCPConnection.connect(to: address)
        async let sent: Void = {
            var offset = 0
            while offset < total {
                let count = min(block.count, total - offset)
                try await client.send(block[..<count])
                offset += count
            }
            try await client.shutdown(.write)
        }()
        var received = 0
        var mismatches = 0
        while let chunk = try await client.receive(maxBytes: 1 << 20, timeout: .seconds(30)) {
            let differs = template.withUnsafeBytes { template in
                chunk.withUnsafeBytes { chunk in
                    memcmp(template.baseAddress! + received % 251, chunk.baseAddress!, chunk.count) != 0
                }
            }
            if differs { mismatches += 1 }
            received += chunk.count
        }
        try await sent
        #expect(received == total)
        #expect(mismatches == 0)
        try await client.close()
        child.signal(SIGTERM)
        #expect(await child.waitForExit(timeout: .seconds(20)) == .exited(0), "stderr: \(child.standardError)")
        await upstream.stop()
    }

    @Test(.timeLimit(.minutes(1)))
    func aHalfClosePropagatesThroughTheProxy() async throws {
        let upstream = try Upstream()
        let (child, address) = try await Self.startProxy(upstream: upstream.endpoint)
        defer { child.kill() }
        let client = try await TCPConnection.connect(to: address)
        try await client.send("half")
        #expect(try await client.receive(maxBytes: 4, timeout: .seconds(10)) == Array("half".utf8))
        // The FIN reaches the echo server through the proxy; its handler returns, and its
        // close comes back as end of stream after the bytes still on the way.
        try await client.send("close")
        try await client.shutdown(.write)
        #expect(try await Self.receiveAll(from: client) == Array("close".utf8))
        try await client.close()
        child.signal(SIGTERM)
        #expect(await child.waitForExit(timeout: .seconds(20)) == .exited(0), "stderr: \(child.standardError)")
        await upstream.stop()
    }

    @Test(.timeLimit(.minutes(1)))
    func aFailedUpstreamConnectClosesTheClientAndIsLoggedWithThePeer() async throws {
        // A port nobody listens on any more: connecting to it is refused.
        let closed = try TCPListener.bind(port: 0)
        let port = try #require(closed.localAddress.port)
        await closed.close()
        let (child, address) = try await Self.startProxy(upstream: "127.0.0.1:\(port)")
        defer { child.kill() }

        let client = try await TCPConnection.connect(to: address)
        let peer = "\(try client.localAddress)"
        let received = try? await client.receive(maxBytes: 10, timeout: .seconds(10))
        #expect(received == nil, "the proxy closes the client")
        try await client.close()

        let deadline = ContinuousClock.now + .seconds(10)
        var log = ""
        while ContinuousClock.now < deadline {
            log = child.standardOutput + child.standardError
            if log.contains("connecting to upstream") { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(log.contains("connecting to upstream 127.0.0.1:\(port) failed"), "log: \(log)")
        #expect(log.contains("Connection refused"), "log: \(log)")
        #expect(log.contains(peer), "log: \(log)")
        child.signal(SIGTERM)
        #expect(await child.waitForExit(timeout: .seconds(20)) == .exited(0), "stderr: \(child.standardError)")
    }

    @Test(.timeLimit(.minutes(1)))
    func sigtermExitsZero() async throws {
        let upstream = try Upstream()
        let (child, address) = try await Self.startProxy(upstream: upstream.endpoint)
        defer { child.kill() }
        let client = try await TCPConnection.connect(to: address)
        try await client.send("x")
        #expect(try await client.receive(maxBytes: 1, timeout: .seconds(10)) == Array("x".utf8))
        try await client.close()
        child.signal(SIGTERM)
        #expect(await child.waitForExit(timeout: .seconds(20)) == .exited(0), "stderr: \(child.standardError)")
        #expect(child.standardOutput.contains("stopped"))
        await upstream.stop()
    }
}
