import AsyncUring
import Testing

/// Runs `body` and checks that it left no descriptor open. Server-side connections close
/// asynchronously after their peers, so the count may take a moment to settle.
public func withLeakCheck(isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> Void) async throws {
    // Started once per process, not leaks: the shared rings, and Dispatch's event loop
    // (epoll and eventfd) behind Task.sleep; its timerfds are not counted at all.
    _ = try RingGroup.shared
    try await Task.sleep(for: .milliseconds(1))
    let before = openDescriptorCount()
    try await body()
    var after = openDescriptorCount()
    for _ in 0..<200 where after > before {
        try await Task.sleep(for: .milliseconds(10))
        after = openDescriptorCount()
    }
    #expect(after <= before, "descriptors leaked: \(before) before, \(after) after")
}
