import AsyncUringSocket
import PropertyBased
import SystemPackage
import Testing

/// Properties of the address parser over random input: it never crashes, every error is a
/// typed parse error, and every address it accepts round-trips through its description.
@Suite struct AddressPropertyTests {
    /// Characters that make up addresses, plus a few that must be refused.
    static let addressCharacters = Gen<Character?>
        .element(of: Array("0123456789abcdefABCDEFx.:[]%/unix- +٣é\u{0}\u{1F600}") as [Character])
        .map { $0! }

    static let anyCharacters = Gen<Character?>
        .element(of: (0...0x2FF).compactMap { Unicode.Scalar(UInt32($0)).map(Character.init) })
        .map { $0! }

    @Test func randomTextNeverCrashesTheParserAndWhatParsesRoundTrips() async {
        await propertyCheck(count: 2000, input: Self.addressCharacters.string(of: 0...48)) { text in
            Self.checkParsesOrRefuses(text)
        }
        await propertyCheck(count: 1000, input: Self.anyCharacters.string(of: 0...200)) { text in
            Self.checkParsesOrRefuses(text)
            Self.checkParsesOrRefuses("unix:" + text)
            Self.checkParsesOrRefuses("[" + text + "]:80")
            Self.checkParsesOrRefuses(text + ":80")
        }
    }

    @Test func randomHostsAndPortsNeverCrashTheTypedInitializers() async {
        await propertyCheck(count: 1000, input: Self.addressCharacters.string(of: 0...48), Gen.int()) { host, port in
            Self.checkMakesOrRefuses(host: host, port: port, ipv6: false)
            Self.checkMakesOrRefuses(host: host, port: port, ipv6: true)
        }
    }

    @Test func everyIPv4AddressAndPortRoundTrips() async throws {
        let octets = Gen.uint8().array(of: 4)
        await propertyCheck(count: 2000, input: octets, Gen.uint16()) { octets, port in
            let text = octets.map(String.init).joined(separator: ".") + ":\(port)"
            let address = try SocketAddress(text)
            #expect(address.family == .ipv4)
            #expect(address.description == text)
            #expect(address.port == Int(port))
            #expect((try? SocketAddress(address.description)) == address)
            #expect(try SocketAddress(ipv4: address.host, port: Int(port)) == address)
        }
    }

    @Test func everyIPv6AddressAndPortRoundTrips() async throws {
        // Zero groups are common, so the compressed forms (`::`) come up often.
        let group = Gen<UInt16>.frequency((3, Gen.always(0)), (1, Gen.always(0xffff)), (4, Gen.uint16()))
        await propertyCheck(count: 2000, input: group.array(of: 8), Gen.uint16()) { groups, port in
            let host = groups.map { String($0, radix: 16) }.joined(separator: ":")
            let address = try SocketAddress("[\(host)]:\(port)")
            #expect(address.family == .ipv6)
            #expect(address.port == Int(port))
            #expect(address.description.hasPrefix("[") && address.description.hasSuffix("]:\(port)"))
            let again = try SocketAddress(address.description)
            #expect(again == address)
            #expect(again.description == address.description)
            #expect(try SocketAddress(ipv6: host, port: Int(port)) == address)
        }
    }

    @Test func everyUnixPathThatFitsRoundTripsAndLongerOnesAreRefused() async {
        let pathCharacters = Gen<Character?>.element(of: Array("abcXYZ019._-/ é") as [Character]).map { $0! }
        await propertyCheck(count: 1000, input: pathCharacters.string(of: 1...120)) { path in
            let address: SocketAddress
            do throws(SocketError) {
                address = try SocketAddress("unix:" + path)
            } catch {
                #expect(path.utf8.count > 107)
                #expect(error.errno == .fileNameTooLong)
                return
            }
            #expect(path.utf8.count <= 107)
            #expect(address.family == .unix)
            #expect(address.description == "unix:" + path)
            #expect((try? SocketAddress(address.description)) == address)
        }
    }

    @Test func portsOutsideTheirRangeAreRefused() async {
        let outside = Gen<Int>.frequency((1, Gen.int(in: Int.min ... -1)), (1, Gen.int(in: 65536...Int.max)))
        await propertyCheck(count: 1000, input: outside) { port in
            #expect(throws: SocketError.self) { try SocketAddress(ipv4: "127.0.0.1", port: port) }
            #expect(throws: SocketError.self) { try SocketAddress(ipv6: "::1", port: port) }
            #expect(throws: SocketError.self) { try SocketAddress("127.0.0.1:\(port)") }
        }
    }

    /// `text` parses and round-trips, or is refused with a parse error.
    private static func checkParsesOrRefuses(_ text: String) {
        let address: SocketAddress
        do throws(SocketError) {
            address = try SocketAddress(text)
        } catch {
            #expect(error.operation == .parseAddress, "'\(text)': \(error)")
            return
        }
        #expect((try? SocketAddress(address.description)) == address, "'\(text)' -> '\(address)'")
    }

    /// `SocketAddress(ipv4:port:)` or `(ipv6:port:)` makes an address that round-trips, or
    /// refuses with a parse error.
    private static func checkMakesOrRefuses(host: String, port: Int, ipv6: Bool) {
        let address: SocketAddress
        do throws(SocketError) {
            address = ipv6 ? try SocketAddress(ipv6: host, port: port) : try SocketAddress(ipv4: host, port: port)
        } catch {
            #expect(error.operation == .parseAddress)
            return
        }
        #expect((0...65535).contains(port))
        #expect((try? SocketAddress(address.description)) == address)
    }
}
