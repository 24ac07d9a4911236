import AsyncUring
import AsyncUringSocket

/// One io_uring operation the runtime uses, tried for real through the public API on a
/// loopback connection.
struct OperationCheck: Sendable, Equatable {
    /// The io_uring operations exercised, e.g. `IORING_OP_ACCEPT`.
    var operations: String
    /// What the runtime uses them for.
    var purpose: String
    /// nil when it worked, else what failed.
    var failure: String?

    var isSuccess: Bool { failure == nil }

    /// Tries each operation in turn on `ring` (and `group`, which must hold it); a step that
    /// fails is reported, and steps that depend on it are reported as skipped.
    static func runAll(on group: RingGroup) async -> [OperationCheck] {
        var checks: [OperationCheck] = []
        func check(_ operations: String, _ purpose: String, _ body: () async throws -> Void) async -> Bool {
            do {
                try await body()
                checks.append(OperationCheck(operations: operations, purpose: purpose, failure: nil))
                return true
            } catch {
                checks.append(OperationCheck(operations: operations, purpose: purpose, failure: "\(error)"))
                return false
            }
        }
        let ring = group.rings[0]
        let timeout = Duration.seconds(2)
        // Called from outside the ring thread: the ring is woken by its eventfd read.
        _ = await check("IORING_OP_NOP, IORING_OP_READ (eventfd)", "a round trip from another thread") {
            try await ring.nop()
        }

        var listener: TCPListener?
        var server: TCPConnection?
        var client: TCPConnection?
        let connected = await check("IORING_OP_ACCEPT, IORING_OP_CONNECT", "accept and connect") {
            let bound = try TCPListener.bind(host: "127.0.0.1", port: 0, group: group)
            listener = bound
            async let accepted = bound.accept(timeout: timeout)
            client = try await TCPConnection.connect(to: bound.localAddress, timeout: timeout, ring: ring)
            server = try await accepted
        }
        if connected, let listener, let server, let client {
            await checkConnection(listener: listener, server: server, client: client, ring: ring, check: check)
        } else {
            checks.append(OperationCheck(operations: "the rest", purpose: "needs a connection", failure: "skipped"))
        }
        await listener?.close()
        for connection in [server, client] {
            if let connection, !connection.isClosed { try? await connection.close() }
        }
        return checks
    }

    private static func checkConnection(
        listener: TCPListener,
        server: TCPConnection,
        client: TCPConnection,
        ring: Ring,
        check: (String, String, () async throws -> Void) async -> Bool
    ) async {
        let timeout = Duration.seconds(2)
        let message = Array("uring-bench doctor".utf8)
        _ = await check(
            "IORING_OP_SEND, IORING_OP_RECV (multishot, provided buffer ring)",
            "sending and receiving"
        ) {
            try await client.send(message)
            var received: [UInt8] = []
            while received.count < message.count,
                let bytes = try await server.receive(maxBytes: message.count, timeout: timeout)
            {
                received += bytes
            }
            guard received == message else { throw CheckFailure("received \(received.count) bytes, not the message") }
        }
        _ = await check("IORING_OP_TIMEOUT, IORING_OP_LINK_TIMEOUT", "receive and accept timeouts") {
            do {
                _ = try await server.receive(timeout: .milliseconds(20))
                throw CheckFailure("a receive with nothing to receive returned")
            } catch let error as SocketError where error.errno == .timedOut {}
            do {
                _ = try await listener.accept(timeout: .milliseconds(20))
                throw CheckFailure("an accept with nobody connecting returned")
            } catch let error as SocketError where error.errno == .timedOut {}
        }
        _ = await check("IORING_OP_ASYNC_CANCEL", "task cancellation") {
            let receive = Task { try await server.receive(timeout: timeout) }
            try await Task.sleep(for: .milliseconds(10))
            receive.cancel()
            do {
                _ = try await receive.value
                throw CheckFailure("a cancelled receive returned")
            } catch is CancellationError {}
        }
        _ = await check("IORING_OP_ACCEPT (multishot)", "TCPServer's accept loop") {
            async let second = TCPConnection.connect(to: listener.localAddress, timeout: timeout, ring: ring)
            var connections = listener.connections.makeAsyncIterator()
            guard let accepted = try await connections.next() else { throw CheckFailure("the listener ended") }
            try await accepted.close()
            try await second.close()
        }
        _ = await check("IORING_OP_SHUTDOWN", "half close") {
            try await client.shutdown(.write)
            guard try await server.receive(timeout: timeout) == nil else { throw CheckFailure("no end of stream") }
        }
        _ = await check("IORING_OP_CLOSE", "closing sockets") {
            try await server.close()
            try await client.close()
        }
    }
}

struct CheckFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
