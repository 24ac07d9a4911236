import Foundation
import Testing

@testable import uring_bench

/// `scripts/bench.sh`'s arguments: what it refuses, before it installs or builds anything;
/// and when `scripts/install-deps.sh` counts a package as present.
@Suite struct BenchScriptTests {
    static let scripts = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts")

    static func run(
        _ arguments: [String],
        script: String = "bench.sh"
    ) async throws -> (status: Int32?, output: [String], errors: [String]) {
        let child = try ChildProcess.launch(
            name: script,
            executable: "/bin/bash",
            arguments: [scripts.appendingPathComponent(script).path] + arguments,
            capturesStandardError: true
        )
        let status = await child.waitForExit(timeout: .seconds(20))
        await child.terminate(timeout: .seconds(1))
        return (status, child.output.lines, child.errorOutput?.lines ?? [])
    }

    @Test(
        .timeLimit(.minutes(1)),
        arguments: [
            (["--suites", "echo,smtp"], "unknown suite 'smtp'; the suites are echo,http,resp,udp,file"),
            (["--suites", "http,http"], "suite 'http' named twice"),
            (["--suites", ","], "--suites names no suite"),
            (["--repetitions", "0"], "--repetitions must be a whole number of at least 1, not '0'"),
            (["--repetitions", "three"], "--repetitions must be a whole number of at least 1, not 'three'"),
            (["--suites", "echo,http", "--", "--cases", "1:64"], "arguments after -- go to one suite's runner"),
            (["--fast"], "unknown argument '--fast'"),
        ]
    )
    func badArgumentsAreRefusedWithUsageStatus(arguments: [String], message: String) async throws {
        let result = try await Self.run(arguments)
        #expect(result.status == 64, "\(result.errors)")
        #expect(result.errors.contains { $0.contains(message) }, "\(result.errors)")
        #expect(result.output.isEmpty)
    }

    @Test(.timeLimit(.minutes(1))) func helpNamesEverySuiteAndOption() async throws {
        let result = try await Self.run(["--help"])
        #expect(result.status == 0)
        let text = result.output.joined(separator: "\n")
        for word in ["--suites", "--repetitions", "--quick", "--out", "skipped.txt", "report.html", "results.json"] {
            #expect(text.contains(word), "\(word)")
        }
        for suite in ["echo", "http", "resp", "udp", "file"] {
            #expect(result.output.contains { $0.hasPrefix("  \(suite)  ") }, "\(suite)")
        }
    }

    /// A package is present when dpkg has it, or, written PACKAGE:COMMAND, when the command
    /// is there whichever package brought it: nothing to install, nothing said.
    @Test(.timeLimit(.minutes(1))) func installDepsInstallsNothingPresent() async throws {
        let result = try await Self.run(
            ["coreutils", "bash:bash", "no-such-package-here:sh"],
            script: "install-deps.sh"
        )
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.errors.isEmpty && result.output.isEmpty, "\(result.errors)")
    }
}
