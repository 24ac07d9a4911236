import ArgumentParser

/// The command-line options every peer server takes.
///
/// The bench runner starts every server, ours and the yardsticks, with the same flags, so a
/// server that has event loop threads rather than rings accepts `--rings` as another name for
/// `--threads`.
public struct ServerOptions: ParsableArguments {
    /// The address to listen on.
    @Option(help: "The address to listen on.")
    public var host: String = "127.0.0.1"

    /// The port to listen on; 0 lets the kernel pick one.
    @Option(help: "The port to listen on; 0 lets the kernel pick one.")
    public var port: Int

    /// The number of event loop threads.
    @Option(
        name: [.long, .customLong("rings")],
        help: "The number of event loop threads (--rings is the same option)."
    )
    public var threads: Int = 1

    /// Creates the options with their defaults; `--port` has none and must be parsed.
    public init() {}

    /// Rejects a port outside 0...65535 and fewer than one thread.
    ///
    /// - Throws: `ValidationError`, which the argument parser reports with the usage text.
    public func validate() throws {
        guard (0...65535).contains(port) else {
            throw ValidationError("--port must be in 0...65535, not \(port)")
        }
        guard threads >= 1 else {
            throw ValidationError("--threads must be at least 1, not \(threads)")
        }
    }
}
