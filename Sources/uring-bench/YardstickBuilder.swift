import Foundation

/// Builds the C programs of shared/bench (TCP and UDP echo servers and load generators) with `cc`.
enum YardstickBuilder {
    struct Program: Sendable {
        var name: String
        var libraries: [String]
    }

    static let programs = [
        Program(name: "echo_uring", libraries: ["-luring"]),
        Program(name: "echo_epoll", libraries: []),
        Program(name: "loadgen", libraries: ["-lpthread"]),
        Program(name: "udp_echo", libraries: []),
        Program(name: "udp_loadgen", libraries: ["-lpthread"]),
    ]

    /// Compiles each program of `sourceDirectory` whose binary is missing from
    /// `outputDirectory` (`cc -O2 -o OUT/NAME SRC/NAME.c LIBS`).
    /// - Returns: notes on what was built or skipped.
    /// - Throws: ``RunnerError/buildFailed`` when `cc` fails.
    static func build(from sourceDirectory: String, into outputDirectory: String) async throws -> [String] {
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        var notes: [String] = []
        for program in programs {
            let source = "\(sourceDirectory)/\(program.name).c"
            let output = "\(outputDirectory)/\(program.name)"
            if isExecutable(output) { continue }
            guard FileManager.default.fileExists(atPath: source) else {
                notes.append("not building \(program.name): \(source) not found")
                continue
            }
            try await compile(source: source, output: output, libraries: program.libraries, name: program.name)
            notes.append("built \(output)")
        }
        return notes
    }

    private static func compile(source: String, output: String, libraries: [String], name: String) async throws {
        guard let compiler = ["/usr/bin/cc", "/usr/local/bin/cc", "/bin/cc"].first(where: isExecutable) else {
            throw RunnerError.buildFailed(program: name, log: "no cc found")
        }
        let child = try ChildProcess.launch(
            name: "cc",
            executable: compiler,
            arguments: ["-O2", "-o", output, source] + libraries,
            capturesStandardError: true
        )
        let status = await child.waitForExit(timeout: .seconds(120))
        await child.terminate(timeout: .seconds(2))
        guard status == 0 else {
            throw RunnerError.buildFailed(program: name, log: child.errorOutput?.tail(20) ?? "")
        }
    }
}
