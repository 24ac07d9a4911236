import Foundation

extension RunConditions {
    /// The conditions of a run starting now on this machine.
    /// - Parameters:
    ///   - pinning: how the runner pins the server and the load.
    ///   - date: when the run started (default: now).
    static func current(pinning: CPUPinning, date: Date = Date()) async -> RunConditions {
        let cpuInfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let pinned = pinning.tasksetPath != nil
        return RunConditions(
            date: isoDate(date),
            kernel: SystemFacts.current().kernel,
            cpuModel: cpuModel(fromCPUInfo: cpuInfo) ?? "unknown",
            cpuCount: cpuCount(fromCPUInfo: cpuInfo) ?? sysconf(Int32(_SC_NPROCESSORS_ONLN)),
            swiftVersion: await swiftVersion(),
            serverCPUs: pinned ? "\(pinning.serverCPU)" : "unpinned",
            loadCPUs: pinned ? "\(pinning.loadCPU)" : "unpinned",
            interference: nil,
            commit: await gitCommit()
        )
    }

    /// The CPUs whose time the interference is measured on: the pinned ones, or nil for all.
    static func measuredCPUs(_ pinning: CPUPinning) -> [Int]? {
        pinning.tasksetPath == nil ? nil : [pinning.serverCPU, pinning.loadCPU]
    }

    /// `2026-12-02T16:33:04Z`.
    static func isoDate(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// The first `model name` of /proc/cpuinfo text.
    static func cpuModel(fromCPUInfo text: String) -> String? {
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let model = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if !model.isEmpty { return model }
        }
        return nil
    }

    /// How many `processor` entries /proc/cpuinfo text lists.
    static func cpuCount(fromCPUInfo text: String) -> Int? {
        let count = text.split(separator: "\n").filter { $0.hasPrefix("processor") }.count
        return count > 0 ? count : nil
    }

    /// `swift --version`'s first line, or the compiler this program was built with when no
    /// `swift` runs here.
    static func swiftVersion() async -> String {
        if let output = await commandOutput("swift", ["--version"]),
            let first = output.split(separator: "\n").first(where: { $0.contains("Swift version") })
        {
            return String(first)
        }
        return "built with \(compilerVersion)"
    }

    /// The compiler version this program was built with, to the minor version.
    static var compilerVersion: String {
        #if compiler(>=6.4)
        "Swift 6.4 or later"
        #elseif compiler(>=6.3)
        "Swift 6.3"
        #elseif compiler(>=6.2)
        "Swift 6.2"
        #else
        "Swift 6.1"
        #endif
    }

    /// `git describe --always --dirty --abbrev=12` in the current directory, when it is a
    /// git work tree.
    static func gitCommit() async -> String? {
        await commandOutput("git", ["describe", "--always", "--dirty", "--abbrev=12"])?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The standard output of `command` found on PATH, when it exits 0 within 10 seconds.
    static func commandOutput(_ command: String, _ arguments: [String]) async -> String? {
        guard let path = findExecutable(command),
            let child = try? ChildProcess.launch(
                name: command,
                executable: path,
                arguments: arguments,
                capturesStandardError: true
            )
        else { return nil }
        let status = await child.waitForExit(timeout: .seconds(10))
        // Stops it if it is still running, and waits until its output is read.
        await child.terminate(timeout: .seconds(1))
        guard status == 0 else { return nil }
        let text = child.output.lines.joined(separator: "\n")
        return text.isEmpty ? nil : text
    }
}
