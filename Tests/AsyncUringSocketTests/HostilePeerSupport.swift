import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import Glibc
import SystemPackage
import Testing

/// A TCP client on a plain blocking socket, so a test can do what ``TCPConnection`` never
/// does: reset the connection (`SO_LINGER` {1, 0}), reset it after a half-close, advertise a
/// tiny receive window and never read. Sends use `MSG_NOSIGNAL`; blocking calls give up
/// after 5 s (`SO_SNDTIMEO`, which bounds `connect` too, and `SO_RCVTIMEO`). The socket is
/// closed by ``reset()``, ``close()`` or, at the latest, when the peer is freed.
final class RawPeer {
    private var fd: Int32

    /// Connects to `address`, an IPv4 address.
    /// - Parameter receiveBufferSize: `SO_RCVBUF`, set before connecting so that the window
    ///   the peer advertises stays that small.
    init(connectingTo address: SocketAddress, receiveBufferSize: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Errno(rawValue: errno) }
        var limit = timeval(tv_sec: 5, tv_usec: 0)
        try setOption(SO_SNDTIMEO, &limit)
        try setOption(SO_RCVTIMEO, &limit)
        if var size = receiveBufferSize { try setOption(SO_RCVBUF, &size) }
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = in_port_t(UInt16(address.port ?? 0).bigEndian)
        guard inet_pton(AF_INET, address.host, &target.sin_addr) == 1 else { throw Errno.invalidArgument }
        let result = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else { throw Errno(rawValue: errno) }
    }

    deinit {
        if fd >= 0 { Glibc.close(fd) }
    }

    /// Sends every byte of `bytes`, waiting while the send buffer is full.
    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            sent += try send(bytes[sent...], flags: 0)
        }
    }

    /// Sends what fits into the send buffer now.
    /// - Returns: how many bytes were sent; 0 when the send buffer is full.
    func sendWithoutWaiting(_ bytes: ArraySlice<UInt8>) throws -> Int {
        try send(bytes, flags: Int32(MSG_DONTWAIT))
    }

    /// Receives up to `maxBytes`, waiting until some arrive.
    /// - Returns: the bytes; empty at end of stream.
    func receive(maxBytes: Int) throws -> [UInt8] {
        try receive(maxBytes: maxBytes, flags: 0) ?? []
    }

    /// Receives up to `maxBytes` of what has arrived.
    /// - Returns: the bytes, empty at end of stream; nil when nothing has arrived.
    func receiveWithoutWaiting(maxBytes: Int) throws -> [UInt8]? {
        try receive(maxBytes: maxBytes, flags: Int32(MSG_DONTWAIT))
    }

    /// Receives exactly `count` bytes (fewer only at end of stream).
    func receiveExactly(_ count: Int) throws -> [UInt8] {
        var received: [UInt8] = []
        while received.count < count {
            let bytes = try receive(maxBytes: count - received.count)
            if bytes.isEmpty { break }
            received += bytes
        }
        return received
    }

    /// Sends a FIN: `shutdown(SHUT_WR)`.
    func shutdownWrite() throws {
        guard shutdown(fd, Int32(SHUT_WR)) == 0 else { throw Errno(rawValue: errno) }
    }

    /// Closes with `SO_LINGER` {1, 0}: the kernel drops what is unsent and sends an RST.
    func reset() throws {
        var linger = linger(l_onoff: 1, l_linger: 0)
        try setOption(SO_LINGER, &linger)
        close()
    }

    /// Closes the socket (an RST all the same when received bytes are left unread).
    func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }

    private func setOption<Value: BitwiseCopyable>(_ name: Int32, _ value: inout Value) throws {
        let result = withUnsafeBytes(of: &value) {
            setsockopt(fd, SOL_SOCKET, name, $0.baseAddress, socklen_t($0.count))
        }
        guard result == 0 else {
            throw Errno(rawValue: errno)
        }
    }

    private func send(_ bytes: ArraySlice<UInt8>, flags: Int32) throws -> Int {
        let count = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, flags | Int32(MSG_NOSIGNAL)) }
        if count >= 0 { return count }
        if errno == EAGAIN && flags & Int32(MSG_DONTWAIT) != 0 { return 0 }
        throw Errno(rawValue: errno)
    }

    private func receive(maxBytes: Int, flags: Int32) throws -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: maxBytes)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, flags) }
        if count >= 0 { return Array(buffer[..<count]) }
        if errno == EAGAIN && flags & Int32(MSG_DONTWAIT) != 0 { return nil }
        throw Errno(rawValue: errno)
    }
}

/// The echo server a hostile-peer test attacks: how it echoes, and whether it has an idle
/// timeout.
struct EchoServerKind: Sendable, CustomTestStringConvertible {
    /// ``TCPConnection/receiveBytes(timeout:)`` and `send(bytes)` instead of
    /// `receive(into:)` and `send(buffer[..<count])`.
    var uncopied: Bool
    var idleTimeout: Duration?

    static let all = [false, true].flatMap { idle in
        [false, true].map { EchoServerKind(uncopied: $0, idleTimeout: idle ? .milliseconds(500) : nil) }
    }

    var testDescription: String {
        (uncopied ? "zero-copy echo" : "copying echo") + (idleTimeout.map { ", idle timeout \($0)" } ?? "")
    }
}

/// An echo server on a ring group of its own, with the checks that end every hostile-peer
/// scenario: the server is back where it started (no handler left, no descriptor more than
/// before the scenario), still echoes, and shuts down promptly.
struct HostileEchoServer {
    let group: RingGroup
    let server: TCPServer
    /// Descriptors open in this process before the scenario, the server included.
    let baseline: Int
    private var running: Task<Void, any Error>?

    var address: SocketAddress { server.listener.localAddress }

    /// Binds the server's listener; the server accepts once ``startServing()`` ran.
    init(_ kind: EchoServerKind) async throws {
        group = try RingGroup(numberOfRings: 1)
        let listener = try TCPListener.bind(host: "127.0.0.1", port: 0, group: group)
        server = makeEchoServer(listener: listener, idleTimeout: kind.idleTimeout, uncopied: kind.uncopied)
        // Dispatch opens its timer descriptors at the first sleep, not during the scenario.
        try await Task.sleep(for: .milliseconds(1))
        baseline = openDescriptorCount()
    }

    mutating func startServing() {
        let server = server
        running = Task { try await server.run() }
    }

    /// Waits until `count` handlers run (the server accepted that many connections).
    func waitForConnections(_ count: Int) async throws {
        let accepted = try await waitUntil(timeout: .seconds(10)) { server.openConnections >= count }
        try #require(accepted, "the server accepted \(server.openConnections) of \(count) connections")
    }

    /// Checks that the server recovered from `scenario`: once every earlier connection was
    /// accepted, within a second no handler runs and no descriptor is open beyond the
    /// baseline; then a fresh connection is echoed.
    func expectRecovered(from scenario: String) async throws {
        // The listen queue is first in, first out: once this connection is echoed, every
        // connection made before it was accepted.
        try await expectEchoes()
        var handlers = server.openConnections
        var descriptors = openDescriptorCount()
        let deadline = ContinuousClock.now + .seconds(1)
        while (handlers > 0 || descriptors > baseline) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
            handlers = server.openConnections
            descriptors = openDescriptorCount()
        }
        #expect(handlers == 0, "\(scenario): \(handlers) handlers still running 1 s later")
        #expect(
            descriptors <= baseline,
            "\(scenario): \(descriptors - baseline) descriptors still open 1 s later (\(baseline) before, \(descriptors) after)"
        )
        try await expectEchoes()
    }

    /// A well-behaved client gets its bytes back.
    func expectEchoes() async throws {
        let client = try await TCPConnection.connect(to: address, timeout: .seconds(5))
        let payload = pattern(count: 3000, seed: 17)
        try await client.send(payload)
        let echoed = try await receiveExactly(payload.count, from: client, timeout: .seconds(5))
        try await client.close()
        #expect(echoed == payload, "a fresh connection got \(echoed.count) of \(payload.count) bytes back, or others")
    }

    /// Shuts the server down gracefully (its run must return well within the 1 s grace
    /// period), then the ring group.
    func shutDown() async {
        server.triggerGracefulShutdown()
        if let running {
            let prompt = await finishes(running, within: .milliseconds(500))
            #expect(prompt, "the server's run did not return within 500 ms of a graceful shutdown")
            if !prompt, await !finishes(running, within: .seconds(5)) {
                Issue.record("the server's run did not return 5 s after its 1 s grace period")
                running.cancel()
                return await group.shutdown()
            }
            if case .failure(let error) = await running.result { Issue.record("the server's run threw \(error)") }
        } else {
            await server.listener.close()
        }
        await group.shutdown()
    }
}
