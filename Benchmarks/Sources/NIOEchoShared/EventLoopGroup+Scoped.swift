import NIOPosix

/// Runs `body` with a `MultiThreadedEventLoopGroup` of `threads` threads and shuts the group
/// down gracefully afterwards, also when `body` throws.
public func withEventLoopGroup(
    threads: Int,
    _ body: (MultiThreadedEventLoopGroup) async throws -> Void
) async throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    do {
        try await body(group)
    } catch {
        try? await group.shutdownGracefully()
        throw error
    }
    try await group.shutdownGracefully()
}
