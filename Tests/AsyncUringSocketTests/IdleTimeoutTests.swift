import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import Testing

extension SocketTests {
    @Suite struct IdleTimeoutTests {
        @Test func idleConnectionsAreClosedAndBusyOnesKept() async throws {
            try await withLeakCheck {
                let listener = try TCPListener.bind(port: 0)
                let server = TCPServer(
                    listener: listener,
                    gracePeriod: .seconds(1),
                    idleTimeout: .milliseconds(150),
                    keepAlive: true
                ) {
                    connection in
                    #expect(try connection.option(.keepAlive) != 0)
                    var buffer = [UInt8](repeating: 0, count: 1024)
                    while let count = try await connection.receive(into: &buffer) {
                        try await connection.send(buffer[..<count])
                    }
                }
                let running = Task { try await server.run() }
                let idle = try await TCPConnection.connect(to: listener.localAddress)
                let busy = try await TCPConnection.connect(to: listener.localAddress)
                // The busy client talks every 50 ms for 450 ms, three idle timeouts' worth.
                for round in 0..<9 {
                    try await busy.send([UInt8(round)])
                    #expect(try await busy.receive(maxBytes: 1) == [UInt8(round)])
                    try await Task.sleep(for: .milliseconds(50))
                }
                // The idle client sent nothing: the server closed it after its idle timeout.
                #expect(try await idle.receive(maxBytes: 1, timeout: .seconds(5)) == nil)
                try await idle.close()
                try await busy.close()
                server.triggerGracefulShutdown()
                try await running.value
            }
        }
    }
}
