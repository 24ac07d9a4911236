// Imports only what a user imports: every type the public API mentions must be nameable.
import AsyncUringSocket
import Testing

extension SocketTests {
    @Suite struct ReexportTests {
        @Test func theRuntimeTypesAreNamedWithOneImport() async throws {
            let group: RingGroup = try RingGroup(numberOfRings: 1)
            let ring: Ring = group.next()
            let listener = try TCPListener.bind(host: "127.0.0.1", port: 0, group: group)
            async let accepted = listener.accept()
            let client = try await TCPConnection.connect(to: listener.localAddress, ring: ring)
            let peer = try await accepted
            try await client.send("named")
            var received: [UInt8] = []
            if let bytes: ReceivedBytes = try await peer.receiveBytes(timeout: .seconds(5)) {
                received = [UInt8](bytes)
            }
            #expect(received == Array("named".utf8))
            let error = SocketError(.receive, Errno.connectionReset)
            #expect(error.isConnectionReset)
            for connection in [client, peer] { try await connection.close() }
            await listener.close()
            await group.shutdown()
        }
    }
}
