import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import SystemPackage
import Testing

extension SocketTests {
    /// Bad sizes, bad durations, bad arguments, closed objects and concurrent misuse: each a
    /// typed error or a defined result, never a crash, a hang or a huge allocation.
    @Suite struct MisuseTests {
        @Test func receiveWithAnAbsurdMaxBytesReturnsWhatArrives() async throws {
            try await withLeakCheck {
                let (listener, server) = try startEchoServer()
                defer { server.cancel() }
                let client = try await TCPConnection.connect(to: listener.localAddress)
                let before = residentBytes()
                try await client.send("five!")
                #expect(try await receiveExactly(5, from: client, timeout: .seconds(5)) == Array("five!".utf8))
                try await client.send("abc")
                let bytes = try await client.receive(maxBytes: .max, timeout: .seconds(5))
                #expect(bytes.map { Array("abc".utf8).starts(with: $0) } == true)
                #expect(residentBytes() - before < 16 << 20)
                try await client.close()
                server.cancel()
                _ = try? await server.value
            }
        }

        @Test(arguments: [Duration.zero, .nanoseconds(-1), .milliseconds(-1), .seconds(-5), .seconds(Int64.min)])
        func zeroAndNegativeTimeoutsTimeOutAtOnceAndLoseNoBytes(timeout: Duration) async throws {
            try await withConnectedPair { client, peer in
                let idle = await #expect(throws: SocketError.self) {
                    try await client.receive(maxBytes: 10, timeout: timeout)
                }
                #expect(idle?.errno == .timedOut)
                // With bytes waiting they are either delivered or left for the next receive.
                try await peer.send("waiting")
                try await Task.sleep(for: .milliseconds(20))
                var received: [UInt8] = []
                do {
                    received = try await client.receive(maxBytes: 100, timeout: timeout) ?? []
                } catch let error as SocketError where error.errno == .timedOut {}
                received += try await receiveExactly(7 - received.count, from: client, timeout: .seconds(5))
                #expect(received == Array("waiting".utf8))
                try await client.close()
                try await peer.close()
            }
        }

        @Test func absurdlyLongTimeoutsWork() async throws {
            try await withLeakCheck {
                let (listener, server) = try startEchoServer()
                defer { server.cancel() }
                let forever = Duration.seconds(Int64.max)
                let client = try await TCPConnection.connect(to: listener.localAddress, timeout: forever)
                try await client.send("long", timeout: forever)
                #expect(try await receiveExactly(4, from: client, timeout: forever) == Array("long".utf8))
                try await client.close()
                server.cancel()
                _ = try? await server.value
            }
        }

        @Test func everyOperationOnAClosedConnectionIsATypedError() async throws {
            try await withLeakCheck {
                let (listener, server) = try startEchoServer()
                defer { server.cancel() }
                let client = try await TCPConnection.connect(to: listener.localAddress)
                try await client.close()
                var buffer = [UInt8](repeating: 0, count: 8)
                let errors: [SocketError?] = [
                    await #expect(throws: SocketError.self) { try await client.receive(into: &buffer) },
                    await #expect(throws: SocketError.self) {
                        try await client.receive(maxBytes: 8, timeout: .seconds(1))
                    },
                    await #expect(throws: SocketError.self) { try await client.send(pattern(count: 1 << 20)) },
                    await #expect(throws: SocketError.self) { try await client.send("x", timeout: .seconds(1)) },
                    await #expect(throws: SocketError.self) { try await client.shutdown(.write) },
                    await #expect(throws: SocketError.self) { try await client.shutdown(.both) },
                    await #expect(throws: SocketError.self) { try await client.close() },
                    #expect(throws: SocketError.self) { try client.remoteAddress },
                    #expect(throws: SocketError.self) { try client.option(.noDelay) },
                ]
                #expect(errors.allSatisfy { $0?.errno == .badFileDescriptor }, "\(errors)")
                server.cancel()
                _ = try? await server.value
            }
        }

        @Test func concurrentClosesCloseOnceAndTheOthersThrow() async throws {
            try await withLeakCheck {
                let (listener, server) = try startEchoServer()
                defer { server.cancel() }
                let client = try await TCPConnection.connect(to: listener.localAddress)
                let pending = Task { try await client.receive(maxBytes: 10) }
                try await Task.sleep(for: .milliseconds(20))
                let results = await withTaskGroup(of: Bool.self) { closers in
                    for _ in 0..<8 { closers.addTask { (try? await client.close()) != nil } }
                    return await closers.reduce(into: []) { $0.append($1) }
                }
                #expect(results.filter { $0 }.count == 1)
                await #expect(throws: (any Error).self) { try await pending.value }
                server.cancel()
                _ = try? await server.value
            }
        }

        @Test func twoShutdownsForWritingAtOnceAreRejectedWithEALREADY() async throws {
            try await withConnectedPair { client, peer in
                try await fillUntilTheSendQueueIsFull(client)
                // The first waits for the queued bytes, so the FIN goes after them.
                let first = Task { try await client.shutdown(.write) }
                try await Task.sleep(for: .milliseconds(50))
                let error = await #expect(throws: SocketError.self) { try await client.shutdown(.both) }
                #expect(error?.errno == .alreadyInProcess)
                try peer.setOption(.resetOnClose)
                try await peer.close()
                _ = await first.result
                try await client.close()
            }
        }

        @Test func twoAcceptsAtOnceOnOneListenerAreRejectedWithEALREADY() async throws {
            try await withLeakCheck {
                let listener = try TCPListener.bind(port: 0)
                let first = Task { try await listener.accept() }
                try await Task.sleep(for: .milliseconds(50))
                let second = await #expect(throws: SocketError.self) { try await listener.accept() }
                #expect(second?.errno == .alreadyInProcess)
                let client = try await TCPConnection.connect(to: listener.localAddress)
                let accepted = try await first.value
                try await accepted.close()
                try await client.close()
                await listener.close()
            }
        }

        @Test func twoTasksIteratingConnectionsAtOnceAreRejectedWithEALREADY() async throws {
            try await withLeakCheck {
                let listener = try TCPListener.bind(port: 0)
                let first = Task { () -> TCPConnection? in
                    for try await connection in listener.connections { return connection }
                    return nil
                }
                try await Task.sleep(for: .milliseconds(50))
                let second = await #expect(throws: SocketError.self) {
                    for try await connection in listener.connections { try await connection.close() }
                }
                #expect(second?.errno == .alreadyInProcess)
                let client = try await TCPConnection.connect(to: listener.localAddress)
                let accepted = try #require(try await first.value)
                try await accepted.close()
                try await client.close()
                await listener.close()
            }
        }

        @Test func aClosedListenerEndsIterationAndClosingTwiceIsHarmless() async throws {
            try await withLeakCheck {
                let listener = try TCPListener.bind(port: 0)
                await listener.close()
                await listener.close()
                var iterator = listener.connections.makeAsyncIterator()
                #expect(try await iterator.next() == nil)
                let error = await #expect(throws: SocketError.self) { try await listener.accept(timeout: .seconds(1)) }
                #expect(error?.errno == .badFileDescriptor)
            }
        }

        @Test func badListenerArgumentsAreTypedErrors() async throws {
            try await withLeakCheck {
                let backlog = #expect(throws: SocketError.self) { try TCPListener.bind(port: 0, backlog: -1) }
                #expect(backlog?.errno == .invalidArgument)
                #expect(throws: SocketError.self) { try TCPListener.bind(port: 0, backlog: .max) }
                let port = #expect(throws: SocketError.self) { try TCPListener.bind(port: 70000) }
                #expect(port?.operation == .parseAddress)
                #expect(throws: SocketError.self) { try TCPListener.bind(port: -1) }
                #expect(throws: SocketError.self) { try TCPListener.bind(host: "not an address", port: 0) }
                #expect(throws: SocketError.self) { try TCPListener.bind(host: "::1::2", port: 0) }
                let foreign = #expect(throws: SocketError.self) { try TCPListener.bind(host: "192.0.2.1", port: 0) }
                #expect(foreign?.errno == .addressNotAvailable)
            }
        }

        @Test func badOptionValuesAreTypedErrors() async throws {
            try await withLeakCheck {
                let (listener, server) = try startEchoServer()
                defer { server.cancel() }
                let client = try await TCPConnection.connect(to: listener.localAddress)
                let options: [SocketOption] = [
                    .receiveBufferSize(.max), .sendBufferSize(-1), .keepAliveIdle(seconds: 0),
                    .keepAliveIdle(seconds: -1), .keepAliveIdle(seconds: .max),
                ]
                for option in options {
                    let error = #expect(throws: SocketError.self, "\(option)") { try client.setOption(option) }
                    #expect(error?.errno == .invalidArgument)
                }
                // The connection is unharmed.
                try await client.send("ok")
                #expect(try await receiveExactly(2, from: client, timeout: .seconds(5)) == Array("ok".utf8))
                try await client.close()
                server.cancel()
                _ = try? await server.value
            }
        }

        @Test func connectingToPortZeroIsRefused() async throws {
            try await withLeakCheck {
                let error = await #expect(throws: SocketError.self) {
                    try await TCPConnection.connect(to: SocketAddress("127.0.0.1:0"), timeout: .seconds(5))
                }
                #expect(error?.errno == .connectionRefused)
            }
        }
    }
}
