import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import Glibc
import SystemPackage
import Testing

/// A fresh path for a socket file in /tmp, removed (whatever is there) after `body`.
func withUnixPath(
    isolation: isolated (any Actor)? = #isolation,
    _ body: (String) async throws -> Void
) async throws {
    let path = "/tmp/async-uring-unix-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
    defer { unlink(path) }
    try await body(path)
}

func fileExists(_ path: String) -> Bool {
    var status = stat()
    return lstat(path, &status) == 0
}

extension SocketTests {
    @Suite struct UnixSocketTests {
        @Test func aServerOnAPathServesTheReaderAndHalvesAndRemovesItsFile() async throws {
            try await withLeakCheck {
                try await withUnixPath { path in
                    let listener = try TCPListener.bind(unixPath: path)
                    #expect(listener.localAddress.unixPath == path)
                    let server = TCPServer(listener: listener) { connection in
                        var reader = connection.reader()
                        while let line = try await reader.read(until: UInt8(ascii: "\n"), maxLength: 1024) {
                            try await connection.send(Array("echo ".utf8) + line + [UInt8(ascii: "\n")])
                        }
                    }
                    let running = Task { try await server.run() }
                    let client = try await TCPConnection.connect(unixPath: path)
                    #expect(try client.remoteAddress.unixPath == path)
                    let (readHalf, writeHalf) = try await client.split()
                    try await writeHalf.send("one\ntwo\n")
                    var reader = readHalf.reader()
                    #expect(try await reader.read(until: UInt8(ascii: "\n"), maxLength: 100) == Array("echo one".utf8))
                    #expect(try await reader.read(until: UInt8(ascii: "\n"), maxLength: 100) == Array("echo two".utf8))
                    try await writeHalf.close()
                    #expect(try await reader.read(until: UInt8(ascii: "\n"), maxLength: 100) == nil)
                    try await readHalf.close()
                    server.triggerGracefulShutdown()
                    try await running.value
                    #expect(!fileExists(path))
                }
            }
        }

        /// The README's Unix domain example, in /tmp and under a fresh abstract name.
        @Test func theReadmeExampleServesAPathAndAnAbstractName() async throws {
            try await withLeakCheck {
                try await withUnixPath { path in
                    let name = "async-uring-readme-\(getpid())"
                    let listener = try TCPListener.bind(
                        unixPath: path,
                        permissions: [.ownerReadWrite, .groupReadWrite],
                        removingStaleSocketFile: true
                    )
                    let abstractListener = try TCPListener.bind(to: SocketAddress("unix:@\(name)"))
                    let handler: TCPServer.Handler = { connection in
                        var reader = connection.reader()
                        while let line = try await reader.read(until: UInt8(ascii: "\n"), maxLength: 1024) {
                            try await connection.send(line + [UInt8(ascii: "\n")])
                        }
                    }
                    let servers = [
                        TCPServer(listener: listener, handler: handler),
                        TCPServer(listener: abstractListener, handler: handler),
                    ]
                    let running = servers.map { server in Task { try await server.run() } }
                    let client = try await TCPConnection.connect(unixPath: path)
                    let other = try await TCPConnection.connect(to: "unix:@\(name)")
                    for connection in [client, other] {
                        try await connection.send("hello\n")
                        #expect(try await receiveExactly(6, from: connection) == Array("hello\n".utf8))
                        try await connection.close()
                    }
                    for server in servers { server.triggerGracefulShutdown() }
                    for task in running { try await task.value }
                    #expect(!fileExists(path))
                }
            }
        }

        @Test func anAbstractNameConnectsWithoutAFile() async throws {
            try await withLeakCheck {
                let name = "async-uring-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
                let address = try SocketAddress(abstractUnixName: name)
                let listener = try TCPListener.bind(to: address)
                #expect(listener.localAddress.abstractUnixName == name)
                #expect(listener.localAddress.description == "unix:@\(name)")
                let (client, peer) = try await connectAndAccept(listener)
                try await client.send("abstract")
                #expect(try await receiveExactly(8, from: peer) == Array("abstract".utf8))
                try await peer.send("reply")
                #expect(try await receiveExactly(5, from: client) == Array("reply".utf8))
                try await client.close()
                try await peer.close()
                await listener.close()
                let error = await #expect(throws: SocketError.self) {
                    try await TCPConnection.connect(to: "unix:@\(name)")
                }
                #expect(error?.errno == .connectionRefused)
            }
        }

        @Test func permissionsAreSetBeforeListening() async throws {
            try await withLeakCheck {
                try await withUnixPath { path in
                    let listener = try TCPListener.bind(unixPath: path, permissions: [.ownerReadWrite, .groupRead])
                    var status = stat()
                    #expect(lstat(path, &status) == 0)
                    #expect(status.st_mode & 0o777 == 0o640)
                    #expect(status.st_mode & S_IFMT == S_IFSOCK)
                    await listener.close()
                    #expect(!fileExists(path))
                }
            }
        }

        @Test func aStaleSocketFileIsRemovedOnlyWhenAsked() async throws {
            try await withLeakCheck {
                try await withUnixPath { path in
                    // A listener that leaves its file behind, as a daemon that crashed does.
                    let first = try TCPListener.bind(unixPath: path, removingSocketFileOnClose: false)
                    await first.close()
                    #expect(fileExists(path))
                    let refused = await #expect(throws: SocketError.self) {
                        try await TCPConnection.connect(unixPath: path)
                    }
                    #expect(refused?.errno == .connectionRefused)
                    let inUse = #expect(throws: SocketError.self) { try TCPListener.bind(unixPath: path) }
                    #expect(inUse?.errno == .addressInUse)
                    let second = try TCPListener.bind(unixPath: path, removingStaleSocketFile: true)
                    let client = try await TCPConnection.connect(unixPath: path)
                    try await client.close()
                    await second.close()
                    #expect(!fileExists(path))
                }
            }
        }

        @Test func aSocketSomeoneListensOnIsNeverRemoved() async throws {
            try await withLeakCheck {
                try await withUnixPath { path in
                    let listener = try TCPListener.bind(unixPath: path)
                    let error = #expect(throws: SocketError.self) {
                        try TCPListener.bind(unixPath: path, removingStaleSocketFile: true)
                    }
                    #expect(error?.errno == .addressInUse)
                    #expect(error?.detail?.contains("in use") == true)
                    // The probe's connection is the one waiting; the listener still serves.
                    let probe = try await listener.accept()
                    try await probe.close()
                    let (client, peer) = try await connectAndAccept(listener)
                    try await client.close()
                    try await peer.close()
                    await listener.close()
                }
            }
        }

        @Test func aFileThatIsNotASocketIsNeverRemoved() async throws {
            try await withLeakCheck {
                try await withUnixPath { path in
                    let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
                    try #require(fd >= 0)
                    close(fd)
                    let error = #expect(throws: SocketError.self) {
                        try TCPListener.bind(unixPath: path, removingStaleSocketFile: true)
                    }
                    #expect(error?.errno == .addressInUse)
                    #expect(error?.detail?.contains("not a socket") == true)
                    var status = stat()
                    #expect(lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFREG)
                }
            }
        }

        @Test func closingDoesNotRemoveAFileThatReplacedOurs() async throws {
            try await withLeakCheck {
                try await withUnixPath { path in
                    let listener = try TCPListener.bind(unixPath: path)
                    unlink(path)
                    let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
                    try #require(fd >= 0)
                    close(fd)
                    await listener.close()
                    #expect(fileExists(path))
                }
            }
        }

        @Test func connectingToNothingThrowsTypedErrors() async throws {
            try await withLeakCheck {
                try await withUnixPath { path in
                    let error = await #expect(throws: SocketError.self) {
                        try await TCPConnection.connect(unixPath: path)
                    }
                    #expect(error?.operation == .connect)
                    #expect(error?.errno == .noSuchFileOrDirectory)
                }
                let missingDirectory = #expect(throws: SocketError.self) {
                    try TCPListener.bind(unixPath: "/nonexistent-\(getpid())/x.sock")
                }
                #expect(missingDirectory?.errno == .noSuchFileOrDirectory)
            }
        }

        @Test func aCancelledAcceptOnAUnixListenerLeavesNothingBehind() async throws {
            try await withLeakCheck {
                try await withUnixPath { path in
                    let listener = try TCPListener.bind(unixPath: path)
                    let accepting = Task { try await listener.accept() }
                    try await Task.sleep(for: .milliseconds(20))
                    accepting.cancel()
                    await #expect(throws: CancellationError.self) { try await accepting.value }
                    await listener.close()
                    #expect(!fileExists(path))
                }
            }
        }
    }
}
