import AsyncUringSocket
import SystemPackage
import Testing

@Suite struct AddressTests {
    @Test(arguments: [
        ("127.0.0.1:8080", "127.0.0.1:8080", 8080),
        ("[::1]:8080", "[::1]:8080", 8080),
        ("0.0.0.0:0", "0.0.0.0:0", 0),
        ("[2001:db8::1]:65535", "[2001:db8::1]:65535", 65535),
        ("unix:/tmp/x.sock", "unix:/tmp/x.sock", nil),
    ])
    func parsesAndRoundTrips(text: String, description: String, port: Int?) throws {
        let address = try SocketAddress(text)
        #expect(address.description == description)
        #expect(address.port == port)
        #expect(try SocketAddress(address.description) == address)
    }

    @Test(arguments: [
        "", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:80a",
        "256.0.0.1:80", "1.2.3:80", "localhost:80", "::1:80", "[::1]", "[::1]80", "[::1:80",
        "[zz::1]:80", "unix:", "127.0.0.1:+80", "127.0.0.1:٣", "127.0.0.1:0000080",
    ])
    func rejectsMalformedText(text: String) {
        let error = #expect(throws: SocketError.self) { try SocketAddress(text) }
        #expect(error?.operation == .parseAddress)
        #expect(error?.errno == .invalidArgument)
    }

    @Test func rejectsOutOfRangePorts() {
        #expect(throws: SocketError.self) { try SocketAddress(ipv4: "127.0.0.1", port: 70000) }
        #expect(throws: SocketError.self) { try SocketAddress(ipv6: "::1", port: -1) }
    }

    @Test func rejectsUnixPathsThatDoNotFit() {
        let error = #expect(throws: SocketError.self) {
            try SocketAddress(unixPath: String(repeating: "a", count: 200))
        }
        #expect(error?.errno == .fileNameTooLong)
        #expect(throws: SocketError.self) { try SocketAddress(unixPath: "") }
    }

    @Test func describesErrorsReadably() {
        let error = SocketError(.receive, .connectionReset)
        #expect(error.description == "receive failed: Connection reset by peer (errno 104)")
    }

    @Test(.timeLimit(.minutes(1)))
    func resolvesLocalhost() async throws {
        let addresses = try await SocketAddress.resolve(host: "localhost", port: 80)
        #expect(!addresses.isEmpty)
        #expect(addresses.allSatisfy { $0.port == 80 })
        let literal = try await SocketAddress.resolve(host: "127.0.0.1", port: 1)
        #expect(literal == [try SocketAddress("127.0.0.1:1")])
        await #expect(throws: SocketError.self) {
            try await SocketAddress.resolve(host: "no-such-host.invalid", port: 1)
        }
    }
}
