import Foundation
import Testing

@testable import uring_bench

/// The report in a real browser: headless chromium (Debian's `chromium`, which
/// `scripts/install-deps.sh chromium` installs and `scripts/test.sh` asks for) takes a
/// screenshot of the page and dumps the DOM it built; the DOM must hold every chart with its
/// series. A machine without chromium fails the test: it does not pass unseen.
@Suite(.serialized) struct ReportBrowserTests {
    static let windowSize = (width: 1280, height: 2400)

    static func chromiumPath() -> String? {
        findExecutable("chromium", fallbacks: ["/usr/bin/chromium", "/usr/bin/chromium-browser"])
            ?? findExecutable("chromium-browser")
    }

    /// Runs chromium headless on `arguments` with its own profile in `directory`; stdout
    /// goes to a file (a dumped DOM outgrows a pipe's buffer). Stops it, by its PID, after a
    /// minute.
    /// - Returns: the exit status and stdout.
    static func chromium(_ arguments: [String], directory: URL) async throws -> (status: Int32, output: String) {
        let executable = try #require(
            chromiumPath(),
            "chromium not found: install it with `scripts/install-deps.sh chromium` (scripts/test.sh does)"
        )
        let outputURL = directory.appendingPathComponent("stdout-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        let output = try FileHandle(forWritingTo: outputURL)
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                "--disable-component-update", "--hide-scrollbars",
                "--user-data-dir=\(directory.appendingPathComponent("profile-\(UUID().uuidString)").path)",
            ] + arguments
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while process.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            Issue.record("chromium did not finish within a minute: \(arguments)")
        }
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOf: outputURL, encoding: .utf8))
    }

    /// Width and height from a PNG's IHDR chunk, after checking its signature.
    static func pngSize(_ data: Data) -> (width: Int, height: Int)? {
        let bytes = [UInt8](data.prefix(24))
        guard bytes.count == 24, bytes.prefix(8) == [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
            bytes[12..<16] == [0x49, 0x48, 0x44, 0x52]  // "IHDR"
        else { return nil }
        let word = { (offset: Int) in bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (word(16), word(20))
    }

    @Test(.timeLimit(.minutes(3))) func rendersInChromium() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let results = try ReportFixtures.merged()
        let page = directory.appendingPathComponent("report.html")
        try ReportFiles.write(results, title: "Fixtures", htmlPath: page.path, jsonPath: nil)

        let screenshot = directory.appendingPathComponent("report.png")
        let shot = try await Self.chromium(
            [
                "--screenshot=\(screenshot.path)", "--window-size=\(Self.windowSize.width),\(Self.windowSize.height)",
                page.absoluteString,
            ],
            directory: directory
        )
        #expect(shot.status == 0)
        let png = try Data(contentsOf: screenshot)
        let size = try #require(Self.pngSize(png), "not a PNG")
        #expect(size.width == Self.windowSize.width && size.height == Self.windowSize.height)
        // A blank page of this size compresses to a few KB; the charts, text and table, to
        // far more.
        #expect(png.count > 60_000, "screenshot of \(png.count) bytes")

        let dump = try await Self.chromium(["--dump-dom", page.absoluteString], directory: directory)
        #expect(dump.status == 0)
        #expect(dump.output.contains("<title>Fixtures</title>"))
        HTMLReportTests.checkCharts(in: dump.output, results: results)
    }
}
