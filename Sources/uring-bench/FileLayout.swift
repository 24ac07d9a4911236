import Foundation

/// The test file of `file-run` and the commands it runs.
enum FileLayout {
    /// Writes `size` bytes of a pattern to `path` unless a file of at least that size is
    /// there, then flushes it to the device (direct reads then read what was written).
    static func prepare(_ path: String, size: Int64, progress: (String) -> Void) throws {
        let existing = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
        if let existing, existing >= size { return }
        progress("laying out \(size) bytes at \(path)")
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw RunOptionsError("cannot create \(path)")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let chunkSize = 1 << 20
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        var written: Int64 = 0
        while written < size {
            var chunk = [UInt8](repeating: 0, count: Int(min(Int64(chunkSize), size - written)))
            for index in stride(from: 0, to: chunk.count, by: 8) {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                chunk[index] = UInt8(truncatingIfNeeded: state)
            }
            try handle.write(contentsOf: chunk)
            written += Int64(chunk.count)
        }
        try handle.synchronize()
    }

    /// Reads the whole file once, so the cached cases find every page in the page cache.
    static func warm(_ path: String) throws {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        while let data = try handle.read(upToCount: 8 << 20), !data.isEmpty {}
    }

    /// Runs `command` (the executable's path first) to its end and returns its standard
    /// output; throws with its standard error when it fails or outlives `timeout` seconds.
    static func runToEnd(_ command: [String], timeout: Double) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        watchdog.cancel()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let name = URL(fileURLWithPath: command[0]).lastPathComponent
            throw RunOptionsError("\(name) ended with status \(process.terminationStatus): \(errorText.suffix(400))")
        }
        return text
    }
}
