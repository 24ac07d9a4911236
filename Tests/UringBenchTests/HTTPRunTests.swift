import ArgumentParser
import Foundation
import Testing

@testable import uring_bench

/// `uring-bench http-run`: its options, the loads it gives wrk and the nginx it configures.
@Suite struct HTTPRunTests {
    @Test func defaults() throws {
        let command = try #require(try UringBench.parseAsRoot(["http-run"]) as? HTTPRunCommand)
        #expect(try HTTPServerKind.parseList(command.servers) == HTTPServerKind.allCases)
        #expect(try HTTPShape.parseList(command.shapes) == [.c64, .c256, .c256p16, .close])
        #expect(command.repetitions == 3)
        #expect(command.duration == 5)
        #expect(command.warmup == 1)
        #expect(command.path == "/plaintext")
        #expect(command.nioBin == "Benchmarks/.build/release")
        #expect(command.wrk == nil)
        #expect(command.nginx == nil)
        #expect(command.json == nil)
    }

    @Test func options() throws {
        let command = try #require(
            try UringBench.parseAsRoot([
                "http-run", "--servers", "nginx, hummingbird-nio", "--shapes", "close,c64", "--repetitions", "1",
                "--duration", "3", "--warmup", "0", "--path", "/json", "--nio-bin", "/tmp/b", "--wrk", "/usr/bin/wrk",
                "--nginx", "/usr/sbin/nginx", "--json", "/tmp/runs.json",
            ]) as? HTTPRunCommand
        )
        #expect(try HTTPServerKind.parseList(command.servers) == [.nginx, .hummingbirdNIO])
        #expect(try HTTPShape.parseList(command.shapes) == [.close, .c64])
        #expect(command.repetitions == 1)
        #expect(command.duration == 3)
        #expect(command.warmup == 0)
        #expect(command.path == "/json")
        #expect(command.nioBin == "/tmp/b")
        #expect(command.wrk == "/usr/bin/wrk")
        #expect(command.nginx == "/usr/sbin/nginx")
        #expect(command.json == "/tmp/runs.json")
    }

    @Test(
        arguments: [
            ["http-run", "--servers", "apache"],
            ["http-run", "--servers", "nginx,nginx"],
            ["http-run", "--servers", "nginx,"],
            ["http-run", "--shapes", "c128"],
            ["http-run", "--shapes", "c64,c64"],
            ["http-run", "--shapes", ""],
            ["http-run", "--repetitions", "0"],
            ["http-run", "--duration", "0"],
            ["http-run", "--duration", "2.5"],
            ["http-run", "--warmup", "-1"],
            ["http-run", "--path", "plaintext"],
            ["http-run", "--path", "/a b"],
        ]
    )
    func badArgumentsAreRejected(arguments: [String]) {
        #expect(throws: (any Error).self) { try UringBench.parseAsRoot(arguments) }
    }

    @Test func shapes() {
        #expect(HTTPShape.allCases.map(\.connections) == [64, 256, 256, 64])
        #expect(HTTPShape.allCases.map(\.pipelineDepth) == [1, 1, 16, 1])
        #expect(HTTPShape.allCases.map(\.closesConnections) == [false, false, false, true])
    }

    static func load(_ shape: HTTPShape) -> WrkLoad {
        WrkLoad(executable: "/usr/bin/wrk", shape: shape, seconds: 5, path: "/plaintext", scriptPath: "/tmp/p.lua")
    }

    @Test(
        arguments: [
            (
                HTTPShape.c64,
                ["-t1", "-c64", "-d5s", "--timeout", "2s", "--latency", "http://127.0.0.1:8080/plaintext"]
            ),
            (.c256, ["-t1", "-c256", "-d5s", "--timeout", "2s", "--latency", "http://127.0.0.1:8080/plaintext"]),
            (
                .c256p16,
                [
                    "-t1", "-c256", "-d5s", "--timeout", "2s", "--latency", "-s", "/tmp/p.lua",
                    "http://127.0.0.1:8080/plaintext",
                ]
            ),
            (
                .close,
                [
                    "-t1", "-c64", "-d5s", "--timeout", "2s", "--latency", "-H", "Connection: close",
                    "http://127.0.0.1:8080/plaintext",
                ]
            ),
        ]
    )
    func wrkArguments(shape: HTTPShape, expected: [String]) {
        #expect(Self.load(shape).arguments(port: 8080) == expected)
    }

    @Test func pipelineScript() {
        let script = WrkLoad.pipelineScript(depth: 16)
        #expect(script.contains("init = function(args)"))
        #expect(script.contains("for i = 1, 16 do"))
        // wrk.format() with no arguments formats wrk's own method, path, headers and body.
        #expect(script.contains("requests[i] = wrk.format()"))
        #expect(script.contains("pipelined = table.concat(requests)"))
        #expect(script.contains("request = function()\n   return pipelined\nend"))
    }

    @Test func nginxConfiguration() {
        let configuration = NginxConfiguration(directory: "/tmp/run", port: 18080)
        #expect(configuration.path == "/tmp/run/nginx.conf")
        #expect(configuration.arguments == ["-c", "/tmp/run/nginx.conf", "-p", "/tmp/run", "-e", "/tmp/run/error.log"])
        let text = configuration.render()
        for line in [
            "worker_processes 1;", "daemon off;", "pid /tmp/run/nginx.pid;", "error_log /tmp/run/error.log warn;",
            "access_log off;", "client_body_temp_path /tmp/run/client_body_temp;", "keepalive_requests 1000000;",
            "listen 127.0.0.1:18080;", "location = /plaintext {", "default_type text/plain;",
            #"return 200 "Hello, World!";"#, "location = /json {", "default_type application/json;",
            #"return 200 '{"message":"Hello, World!"}';"#, "return 404;",
        ] {
            #expect(text.contains(line), "missing: \(line)")
        }
    }

    /// `nginx -t` accepts the rendered configuration (where nginx is installed).
    @Test(.enabled(if: findExecutable("nginx", fallbacks: ["/usr/sbin/nginx"]) != nil), .timeLimit(.minutes(1)))
    func nginxAcceptsTheConfiguration() async throws {
        let nginx = try #require(findExecutable("nginx", fallbacks: ["/usr/sbin/nginx"]))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nginx-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = NginxConfiguration(directory: directory, port: 18080)
        try configuration.render().write(toFile: configuration.path, atomically: true, encoding: .utf8)
        let child = try ChildProcess.launch(
            name: "nginx -t",
            executable: nginx,
            arguments: ["-t"] + configuration.arguments,
            capturesStandardError: true
        )
        let status = await child.waitForExit(timeout: .seconds(30))
        await child.terminate(timeout: .seconds(2))
        #expect(status == 0, "\(child.errorOutput?.tail() ?? "")")
    }

    @Test func locateSkipsMissingServersWithANote() {
        let (servers, notes) = HTTPBenchServer.locate(
            [.asyncUring, .hummingbirdUring, .hummingbirdNIO, .nginx],
            selfExecutable: "/bin/sh",
            benchmarksDirectory: "/nonexistent",
            nginx: nil
        )
        #expect(servers.map(\.kind) == [.asyncUring])
        #expect(notes.count == 3)
        #expect(notes[0].contains("hummingbird-uring-http"))
        #expect(notes[1].contains("hummingbird-nio-http"))
        #expect(notes[2].contains("nginx"))
        #expect(HTTPServerKind.asyncUring.announcingArguments.first == "http-server")
        #expect(
            HTTPServerKind.hummingbirdNIO.announcingArguments == ["--host", "127.0.0.1", "--port", "0", "--rings", "1"]
        )
    }
}
