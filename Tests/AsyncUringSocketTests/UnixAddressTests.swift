import AsyncUringSocket
import Testing

@Suite struct UnixAddressTests {
    @Test func abstractNamesParseAndPrintWithAnAt() throws {
        let address = try SocketAddress("unix:@my-daemon")
        #expect(address == (try SocketAddress(abstractUnixName: "my-daemon")))
        #expect(address.family == .unix)
        #expect(address.description == "unix:@my-daemon")
        #expect(address.abstractUnixName == "my-daemon")
        #expect(address.unixPath == nil)
        #expect(address != (try SocketAddress(unixPath: "my-daemon")))
    }

    @Test func pathsKeepTheirFormAndAPathBeginningWithAnAtStaysAFile() throws {
        let path = try SocketAddress(unixPath: "/run/x.sock")
        #expect(path.unixPath == "/run/x.sock")
        #expect(path.abstractUnixName == nil)
        let relative = try SocketAddress(unixPath: "@file")
        #expect(relative.unixPath == "@file")
        #expect(relative.description == "unix:./@file")
        #expect(try SocketAddress(relative.description).unixPath == "./@file")
    }

    @Test(arguments: ["", String(repeating: "n", count: 108)])
    func abstractNamesThatDoNotFitAreRefused(name: String) {
        let error = #expect(throws: SocketError.self) { try SocketAddress(abstractUnixName: name) }
        #expect(error?.errno == (name.isEmpty ? .invalidArgument : .fileNameTooLong))
        #expect(throws: SocketError.self) { try SocketAddress("unix:@" + name) }
    }

    @Test func theLongestAbstractNameFits() throws {
        let name = String(repeating: "n", count: 107)
        #expect(try SocketAddress(abstractUnixName: name).abstractUnixName == name)
    }
}
