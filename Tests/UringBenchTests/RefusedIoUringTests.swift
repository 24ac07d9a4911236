import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import Foundation
import Glibc
import SystemPackage
import Testing

@testable import uring_bench

/// The servers of `uring-bench` as child processes where io_uring is refused (a seccomp
/// filter fails io_uring_setup with EPERM or ENOSYS, or io_uring's operation probe as a
/// kernel too old for the runtime does): the automatic choice starts them on the epoll
/// driver, says so, and they serve; a forced io_uring, a shortage (ENOMEM, EMFILE) or a bad
/// `ASYNC_URING_DRIVER` stops them at start with an error that names the cause.
@Suite(.serialized) struct RefusedIoUringTests {
    static let notice = "io_uring is refused here; rings run on the epoll readiness driver"
    /// How the set-up failure reads under `refusal`.
    static func reason(_ refusal: SeccompLauncher.Refusal) -> String {
        switch refusal {
        case .setup(let errno):
            "io_uring_queue_init_params failed: \(String(cString: strerror(errno.rawValue)))"
        case .probe:
            "io_uring failed: Operation not supported (errno 95): the kernel's io_uring answers no operation probe"
        }
    }

    /// 1 byte, a packet, and more than the 16 KiB receive buffer (it arrives in pieces): three
    /// connections, three round trips each, every byte compared. Counted, not timed: a timed
    /// load gave no round trip at all within 0.3 s under ThreadSanitizer on a busy machine.
    @Test(.timeLimit(.minutes(1)), .enabled(if: SeccompLauncher.isAvailable), arguments: [1, 1_500, 100_000])
    func echoServerFallsBackToEpollAndEchoes(size: Int) async throws {
        try await Self.withFallbackServer("echo-server") { port in
            let address = try SocketAddress("127.0.0.1:\(port)")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for seed in 0..<3 {
                    group.addTask {
                        let connection = try await TCPConnection.connect(to: address)
                        for round in 0..<3 {
                            let sent = pattern(count: size, seed: seed * 3 + round)
                            try await connection.send(sent)
                            var echoed: [UInt8] = []
                            while echoed.count < size, let bytes = try await connection.receive(timeout: .seconds(20)) {
                                echoed += bytes
                            }
                            #expect(echoed == sent, "connection \(seed), round \(round)")
                        }
                        try await connection.close()
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    /// A kernel without io_uring (`ENOSYS`) is refused like a seccomp profile: the server
    /// starts on epoll and echoes.
    @Test(.timeLimit(.minutes(1)), .enabled(if: SeccompLauncher.isAvailable))
    func echoServerFallsBackWhereTheKernelHasNoIoUring() async throws {
        try await Self.withFallbackServer("echo-server", refusal: .setup(.noFunction)) { port in
            try await Self.echoOnce(port: port)
        }
    }

    /// A kernel whose io_uring sets up but lacks what the runtime needs (here: it answers no
    /// operation probe, as before 5.6) is refused too, at start rather than at the first
    /// accept: the server starts on epoll and echoes.
    @Test(.timeLimit(.minutes(1)), .enabled(if: SeccompLauncher.isAvailable))
    func echoServerFallsBackWhereIoUringLacksTheRuntimesOperations() async throws {
        try await Self.withFallbackServer("echo-server", refusal: .probe) { port in
            try await Self.echoOnce(port: port)
        }
    }

    static func echoOnce(port: Int) async throws {
        let connection = try await TCPConnection.connect(to: try SocketAddress("127.0.0.1:\(port)"))
        let sent = pattern(count: 20_000, seed: 5)
        try await connection.send(sent)
        var echoed: [UInt8] = []
        while echoed.count < sent.count, let bytes = try await connection.receive(timeout: .seconds(20)) {
            echoed += bytes
        }
        #expect(echoed == sent)
        try await connection.close()
    }

    /// A shortage is not a refusal: when io_uring_setup fails with `ENOMEM` or `EMFILE`, the
    /// server does not fall back to epoll but stops at start, naming the error.
    @Test(
        .timeLimit(.minutes(1)),
        .enabled(if: SeccompLauncher.isAvailable),
        arguments: [Errno.noMemory, .tooManyOpenFiles]
    )
    func aShortageStopsTheServerInsteadOfFallingBack(error: Errno) async throws {
        let child = try Self.launch(
            ["echo-server", "--port", "0"],
            driverVariable: nil,
            refusingIoUring: true,
            refusal: .setup(error)
        )
        let status = await child.waitForExit(timeout: .seconds(20))
        await child.terminate(timeout: .seconds(1))
        let errors = child.errorOutput?.lines.joined(separator: "\n") ?? ""
        #expect(status != nil, "still running after 20 s: \(RunningServer.log(of: child))")
        #expect(status != 0)
        #expect(errors.contains("Error: \(Self.reason(.setup(error)))"), "\(errors)")
        #expect(!errors.contains(Self.notice))
        #expect(!child.output.lines.contains { $0.hasPrefix("listening on ") || $0.hasPrefix("driver: ") })
    }

    @Test(.timeLimit(.minutes(1)), .enabled(if: SeccompLauncher.isAvailable))
    func httpServerFallsBackToEpollAndServes() async throws {
        try await Self.withFallbackServer("http-server") { port in
            var client = try await RawHTTPClient(connectingTo: try SocketAddress("127.0.0.1:\(port)"))
            do {
                try await Self.exchangeKeepAliveRequests(&client)
            } catch {
                try? await client.close()
                throw error
            }
            try await client.close()
        }
    }

    /// GET /plaintext, POST /echo with a body larger than the receive buffer, GET /json and
    /// a 404, one after another on one connection; then two requests in one write.
    static func exchangeKeepAliveRequests(_ client: inout RawHTTPClient) async throws {
        try await client.send("GET /plaintext HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let plaintext = try await client.readResponse()
        #expect(plaintext.status == 200 && plaintext.text == "Hello, World!")
        #expect(plaintext.field("content-type") == "text/plain")
        #expect(plaintext.field("connection") != "close")

        let body = pattern(count: 40_000, seed: 7)
        try await client.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(body.count)\r\n\r\n")
        try await client.send(body)
        let echo = try await client.readResponse()
        #expect(echo.status == 200)
        // Compared outside #expect, which would print 40,000 bytes twice on a failure.
        let isEchoed = echo.body == body
        #expect(isEchoed, "\(echo.body.count) bytes back for \(body.count), or different ones")

        try await client.send(
            "GET /json HTTP/1.1\r\nHost: localhost\r\n\r\nGET /missing HTTP/1.1\r\nHost: localhost\r\n\r\n"
        )
        let json = try await client.readResponse()
        #expect(json.status == 200 && json.text == #"{"message":"Hello, World!"}"#)
        #expect(json.field("content-type") == "application/json")
        #expect(try await client.readResponse().status == 404)
    }

    /// Starts `uring-bench SUBCOMMAND --port 0` with io_uring refused and the driver left to
    /// the automatic choice, checks that it announces the epoll fallback (on stdout, and once
    /// in its log with the reason), runs `body` with its port, then stops it with SIGTERM, which
    /// it answers by exiting 0.
    static func withFallbackServer(
        _ subcommand: String,
        refusal: SeccompLauncher.Refusal = .setup(.notPermitted),
        _ body: (Int) async throws -> Void
    ) async throws {
        let reason = reason(refusal)
        let child = try launch(
            [subcommand, "--port", "0"],
            driverVariable: nil,
            refusingIoUring: true,
            refusal: refusal
        )
        do {
            let port = try await EchoServerFloodTests.announcedPort(of: child)
            let driverLine = child.output.lines.first { $0.hasPrefix("driver: ") }
            #expect(driverLine?.hasPrefix("driver: epoll (io_uring refused: \(reason)") == true, "\(driverLine ?? "")")
            try await body(port)
        } catch {
            await child.terminate()
            throw error
        }
        await child.terminate()
        let log = child.errorOutput?.lines ?? []
        #expect(child.exitStatus == 0, "\(RunningServer.log(of: child))")
        let notices = log.filter { $0.contains(notice) }
        #expect(notices.count == 1, "\(log.joined(separator: "\n"))")
        #expect(notices.first?.contains(" notice ") == true)
        #expect(notices.first?.contains("driver=epoll") == true)
        #expect(notices.first?.contains("reason=\(reason)") == true)
    }

    /// The forced driver, by option or by variable: no fallback, an error that names the
    /// refusal, a non-zero exit.
    @Test(
        .timeLimit(.minutes(1)),
        .enabled(if: SeccompLauncher.isAvailable),
        arguments: [
            (["echo-server", "--port", "0", "--driver", "io_uring"], nil, .setup(.notPermitted)),
            (["http-server", "--port", "0", "--driver", "io_uring"], nil, .setup(.notPermitted)),
            (["echo-server", "--port", "0"], "io_uring", .setup(.notPermitted)),
            (["http-server", "--port", "0"], "io_uring", .setup(.notPermitted)),
            (["echo-server", "--port", "0", "--driver", "io_uring"], nil, .probe),
        ] as [([String], String?, SeccompLauncher.Refusal)]
    )
    func forcedIoUringFailsAtStart(
        arguments: [String],
        driverVariable: String?,
        refusal: SeccompLauncher.Refusal
    ) async throws {
        let child = try Self.launch(arguments, driverVariable: driverVariable, refusingIoUring: true, refusal: refusal)
        let status = await child.waitForExit(timeout: .seconds(20))
        await child.terminate(timeout: .seconds(1))
        let errors = child.errorOutput?.lines.joined(separator: "\n") ?? ""
        #expect(status != nil, "still running after 20 s: \(RunningServer.log(of: child))")
        #expect(status != 0)
        #expect(errors.contains("Error: \(Self.reason(refusal))"), "\(errors)")
        #expect(!errors.contains(Self.notice))
        #expect(!child.output.lines.contains { $0.hasPrefix("listening on ") || $0.hasPrefix("driver: ") })
    }

    @Test(.timeLimit(.minutes(1)), arguments: ["echo-server", "http-server"])
    func invalidDriverVariableFailsAtStart(subcommand: String) async throws {
        let child = try Self.launch([subcommand, "--port", "0"], driverVariable: "kqueue", refusingIoUring: false)
        let status = await child.waitForExit(timeout: .seconds(20))
        await child.terminate(timeout: .seconds(1))
        let errors = child.errorOutput?.lines.joined(separator: "\n") ?? ""
        #expect(status != nil, "still running after 20 s: \(RunningServer.log(of: child))")
        #expect(status != 0)
        #expect(errors.contains("\(RingDriver.environmentVariable)=kqueue is not io_uring or epoll"), "\(errors)")
        #expect(!child.output.lines.contains { $0.hasPrefix("listening on ") })
    }

    /// Starts `uring-bench` with `arguments`, stderr captured, with `ASYNC_URING_DRIVER` set to
    /// `driverVariable` (or unset, whatever the tests' environment says) and, when
    /// `refusingIoUring`, under ``SeccompLauncher`` failing io_uring_setup with `refusal`.
    static func launch(
        _ arguments: [String],
        driverVariable: String?,
        refusingIoUring: Bool,
        refusal: SeccompLauncher.Refusal = .setup(.notPermitted)
    ) throws -> ChildProcess {
        let executable = try #require(EchoEndToEndTests.builtExecutable(), "uring-bench is built beside the tests")
        let variable = RingDriver.environmentVariable
        let setting = driverVariable.map { ["\(variable)=\($0)"] } ?? ["-u", variable]
        var command = (executable: "/usr/bin/env", arguments: setting + [executable] + arguments)
        if refusingIoUring {
            command = SeccompLauncher.command(command.executable, command.arguments, refusal: refusal)
        }
        return try ChildProcess.launch(
            name: arguments[0],
            executable: command.executable,
            arguments: command.arguments,
            capturesStandardError: true
        )
    }
}
