import AsyncUring
import AsyncUringSocket
import Glibc
import Logging
import ServiceLifecycle
import Testing

/// `TCPServer` and `RingGroupService` run by a `ServiceGroup`, in process.
@Suite(.serialized) struct ServiceGroupTests {
    @Test(.timeLimit(.minutes(1)))
    func gracefulShutdownDrainsTheServerThenStopsTheRings() async throws {
        let rings = try RingGroup(numberOfRings: 1)
        let listener = try TCPListener.bind(host: "127.0.0.1", port: 0, group: rings)
        let server = makeEchoServer(listener, gracePeriod: .seconds(30))
        let services = ServiceGroup(services: [RingGroupService(rings), server], logger: quietLogger)
        let running = Task { try await services.run() }

        let client = try await TCPConnection.connect(to: listener.localAddress)
        try await client.send("before")
        #expect(try await receiveString(6, from: client) == "before")

        await services.triggerGracefulShutdown()
        try await waitUntilRefused(listener.localAddress)
        // Stopped accepting (the probes' handlers end as the probes close), but the
        // connection in flight is still served...
        try await waitUntil { server.openConnections == 1 }
        try await client.send("during")
        #expect(try await receiveString(6, from: client) == "during")
        #expect(!rings.rings[0].isTerminated)
        // ...until its handler ends; then the server returns and the rings stop.
        try await client.shutdown(.write)
        #expect(try await client.receive() == nil)
        try await running.value
        #expect(rings.rings.allSatisfy { $0.isTerminated })
        try await client.close()
    }

    @Test(.timeLimit(.minutes(1)))
    func handlersStillRunningAfterTheGracePeriodAreCancelled() async throws {
        let rings = try RingGroup(numberOfRings: 1)
        let listener = try TCPListener.bind(host: "127.0.0.1", port: 0, group: rings)
        let server = makeEchoServer(listener, gracePeriod: .milliseconds(200))
        let services = ServiceGroup(services: [RingGroupService(rings), server], logger: quietLogger)
        let running = Task { try await services.run() }

        let client = try await TCPConnection.connect(to: listener.localAddress)
        try await client.send("x")
        #expect(try await receiveString(1, from: client) == "x")
        let start = ContinuousClock.now
        await services.triggerGracefulShutdown()
        try await running.value
        #expect(ContinuousClock.now - start >= .milliseconds(200))
        #expect(rings.rings.allSatisfy { $0.isTerminated })
        // The cancelled handler's connection was closed by the server.
        #expect(try await client.receive() == nil)
        try await client.close()
    }

    @Test(.timeLimit(.minutes(1)))
    func ringGroupServiceStopsTheRingsWhenCancelled() async throws {
        let rings = try RingGroup(numberOfRings: 2)
        let service = RingGroupService(rings)
        let running = Task { try await service.run() }
        try await Task.sleep(for: .milliseconds(50))
        #expect(!rings.rings.contains { $0.isTerminated })
        running.cancel()
        try await running.value
        #expect(rings.rings.allSatisfy { $0.isTerminated })
    }

    @Test(.timeLimit(.minutes(1)))
    func serverRunOutsideAServiceGroupStillStopsOnItsOwnTrigger() async throws {
        let rings = try RingGroup(numberOfRings: 1)
        let listener = try TCPListener.bind(host: "127.0.0.1", port: 0, group: rings)
        let server = makeEchoServer(listener, gracePeriod: .seconds(1))
        let running = Task { try await server.run() }
        let client = try await TCPConnection.connect(to: listener.localAddress)
        try await client.send("ok")
        #expect(try await receiveString(2, from: client) == "ok")
        try await client.close()
        server.triggerGracefulShutdown()
        try await running.value
        await rings.shutdown()
    }
}

let quietLogger: Logger = {
    var logger = Logger(label: "LifecycleTests")
    logger.logLevel = .warning
    return logger
}()

func makeEchoServer(_ listener: TCPListener, gracePeriod: Duration) -> TCPServer {
    TCPServer(listener: listener, gracePeriod: gracePeriod, logger: quietLogger) { connection in
        var buffer = [UInt8](repeating: 0, count: 4096)
        while let count = try await connection.receive(into: &buffer) {
            try await connection.send(buffer[..<count])
        }
    }
}

/// Receives exactly `count` bytes as text (fewer only at end of stream).
func receiveString(_ count: Int, from connection: TCPConnection) async throws -> String {
    var received: [UInt8] = []
    while received.count < count, let bytes = try await connection.receive(maxBytes: count - received.count) {
        received += bytes
    }
    return String(decoding: received, as: UTF8.self)
}

/// Waits until `condition` holds, at most 10 seconds.
func waitUntil(_ condition: () -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let deadline = ContinuousClock.now + .seconds(10)
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition still false after 10 s", sourceLocation: sourceLocation)
            return
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// Waits until connecting to `address` is refused: the listener was closed.
func waitUntilRefused(_ address: SocketAddress) async throws {
    let deadline = ContinuousClock.now + .seconds(10)
    while ContinuousClock.now < deadline {
        do {
            let probe = try await TCPConnection.connect(to: address)
            try await probe.close()
        } catch let error as SocketError where error.errno == .connectionRefused {
            return
        } catch let error as SocketError where error.errno == .connectionReset {
            // The probe sat in the accept queue as the listener closed: try again.
        }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("\(address) still accepts connections")
}
