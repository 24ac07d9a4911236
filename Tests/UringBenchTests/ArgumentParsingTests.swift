import ArgumentParser
import AsyncUring
import Testing

@testable import uring_bench

@Suite struct ArgumentParsingTests {
    private func parse<Command: ParsableCommand>(_ arguments: [String], as type: Command.Type) throws -> Command {
        let command = try UringBench.parseAsRoot(arguments)
        return try #require(command as? Command)
    }

    @Test(.timeLimit(.minutes(1))) func echoServerDefaults() throws {
        let command = try parse(["echo-server", "--port", "0"], as: EchoServerCommand.self)
        #expect(command.server.host == "127.0.0.1")
        #expect(command.server.port == 0)
        #expect(command.server.rings == nil)
        #expect(command.server.gracePeriodMilliseconds == 500)
        #expect(command.server.driver == nil)
    }

    @Test(
        .timeLimit(.minutes(1)),
        arguments: [("echo-server", RingDriver.epoll), ("http-server", .ioUring), ("echo-server", .ioUring)]
    )
    func serversTakeADriver(subcommand: String, driver: RingDriver) throws {
        let command = try UringBench.parseAsRoot([subcommand, "--port", "0", "--driver", driver.rawValue])
        let server = try #require((command as? EchoServerCommand)?.server ?? (command as? HTTPServerCommand)?.server)
        #expect(server.driver == driver)
    }

    @Test(.timeLimit(.minutes(1))) func anUnknownDriverNamesTheOptionAndTheChoices() {
        do {
            _ = try UringBench.parseAsRoot(["echo-server", "--port", "0", "--driver", "kqueue"])
            Issue.record("--driver kqueue was accepted")
        } catch {
            let message = UringBench.message(for: error)
            #expect(message.contains("--driver"), "\(message)")
            #expect(message.contains("io_uring") && message.contains("epoll"), "\(message)")
        }
    }

    @Test(.timeLimit(.minutes(1))) func echoClientDefaultsAndPlan() throws {
        let command = try parse(["echo-client", "--port", "9000"], as: EchoClientCommand.self)
        #expect(command.connections == 50)
        #expect(command.size == 64)
        #expect(command.duration == 5)
        #expect(command.warmup == 1)
        #expect(command.rings == nil)
        #expect(command.json == false)
        let plan = try command.plan
        #expect(plan.address.description == "127.0.0.1:9000")
        #expect(plan.connections == 50)
    }

    @Test(.timeLimit(.minutes(1))) func echoClientOptions() throws {
        let command = try parse(
            [
                "echo-client", "--host", "127.0.0.2", "--port", "1", "--connections", "500", "--size", "4096",
                "--duration", "2.5", "--warmup", "0", "--rings", "2", "--server-pid", "42", "--json",
            ],
            as: EchoClientCommand.self
        )
        #expect(command.host == "127.0.0.2")
        #expect(command.connections == 500)
        #expect(command.size == 4096)
        #expect(command.duration == 2.5)
        #expect(command.warmup == 0)
        #expect(command.rings == 2)
        #expect(command.serverPid == 42)
        #expect(command.json)
    }

    @Test(
        .timeLimit(.minutes(1)),
        arguments: [
            ["echo-client"],
            ["echo-client", "--port", "0"],
            ["echo-client", "--port", "70000"],
            ["echo-client", "--port", "9000", "--connections", "0"],
            ["echo-client", "--port", "9000", "--size", "0"],
            ["echo-client", "--port", "9000", "--duration", "0"],
            ["echo-client", "--port", "9000", "--warmup", "-1"],
            ["echo-client", "--port", "9000", "--rings", "0"],
            ["echo-client", "--port", "9000", "--connections", "many"],
            ["echo-server"],
            ["echo-server", "--port", "-1"],
            ["echo-server", "--port", "0", "--rings", "0"],
            ["run", "--cases", "1:64,"],
            ["run", "--cases", "1x64"],
            ["run", "--cases", "0:64"],
            ["run", "--cases", "1:0"],
            ["run", "--cases", "1:64,1:64"],
            ["run", "--servers", "apache"],
            ["run", "--repetitions", "0"],
            ["run", "--duration", "0"],
            ["run", "--loadgen", "python"],
            ["run", "--loadgen", "c"],
        ]
    )
    func badArgumentsAreRejected(arguments: [String]) {
        #expect(throws: (any Error).self) { try UringBench.parseAsRoot(arguments) }
    }

    @Test(.timeLimit(.minutes(1))) func connectionsZeroNamesTheOption() {
        do {
            _ = try UringBench.parseAsRoot(["echo-client", "--port", "9000", "--connections", "0"])
            Issue.record("--connections 0 was accepted")
        } catch {
            #expect(UringBench.message(for: error).contains("--connections must be at least 1"))
        }
    }

    @Test(.timeLimit(.minutes(1))) func runDefaults() throws {
        let command = try parse(["run"], as: RunCommand.self)
        #expect(
            try command.benchCases() == [
                BenchCase(connections: 1, size: 64), BenchCase(connections: 50, size: 64),
                BenchCase(connections: 500, size: 64), BenchCase(connections: 50, size: 4096),
            ]
        )
        #expect(try command.serverKinds() == ServerKind.all(.tcp))
        #expect(ServerKind.all(.tcp) == Array(ServerKind.allCases.prefix(6)))
        #expect(ServerKind.allCases.prefix(3) == [.asyncUring, .asyncUringEpoll, .nioEchoHandler])
        #expect(command.repetitions == 3)
        #expect(command.duration == 3)
        #expect(command.warmup == 1)
        #expect(command.nioBin == "Benchmarks/.build/release")
        #expect(command.loadgen == .uring)
        #expect(command.cYardsticks == nil)
        #expect(command.yardstickDirectory == nil)
        #expect(command.json == nil)
    }

    @Test(.timeLimit(.minutes(1))) func runWithCLoadgen() throws {
        let command = try parse(
            [
                "run", "--cases", "1:64, 50:4096", "--repetitions", "1", "--duration", "2", "--warmup", "0.5",
                "--c-yardsticks", "/tmp/y", "--loadgen", "c", "--loadgen-bin", "/tmp/y/loadgen",
                "--servers", "async-uring,echo_uring", "--json", "/tmp/runs.json",
            ],
            as: RunCommand.self
        )
        #expect(try command.benchCases().map(\.description) == ["1:64", "50:4096"])
        #expect(try command.serverKinds() == [.asyncUring, .echoUring])
        #expect(command.loadgen == .c)
        #expect(command.yardstickDirectory == "/tmp/y")
        #expect(command.json == "/tmp/runs.json")
    }

    @Test(.timeLimit(.minutes(1))) func ourServerRunsOnTheDriverItIsNamedAfter() throws {
        let command = try parse(["run", "--servers", "async-uring-epoll, nio-echo-handler"], as: RunCommand.self)
        #expect(try command.serverKinds() == [.asyncUringEpoll, .nioEchoHandler])
        #expect(ServerKind.asyncUring.arguments(port: 0).suffix(2) == ["--driver", "io_uring"])
        #expect(ServerKind.asyncUringEpoll.arguments(port: 0).suffix(2) == ["--driver", "epoll"])
        #expect(!ServerKind.nioEchoHandler.arguments(port: 0).contains("--driver"))
        let (servers, _) = BenchServer.locate(
            [.asyncUring, .asyncUringEpoll],
            selfExecutable: "/bin/uring-bench",
            nioDirectory: "/nonexistent",
            yardstickDirectory: nil
        )
        #expect(servers.map(\.executable) == ["/bin/uring-bench", "/bin/uring-bench"])
    }

    @Test(.timeLimit(.minutes(1))) func cSourcesDefaultTheYardstickDirectory() throws {
        let command = try parse(["run", "--c-sources", "../shared/bench", "--loadgen", "c"], as: RunCommand.self)
        #expect(command.yardstickDirectory == ".build-yardsticks")
    }

    @Test(.timeLimit(.minutes(1)), arguments: ["", ",", "1", "1:", ":64", "1:64:2", "-1:64", "1:99999999"])
    func malformedCaseIsRejected(text: String) {
        #expect(throws: ValidationError.self) { try BenchCase.parseList(text) }
    }
}
