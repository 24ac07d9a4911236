import AsyncUring
import ServiceLifecycle

/// Runs a `RingGroup` (from AsyncUring) as a swift-service-lifecycle `Service`: ``run()``
/// waits for the `ServiceGroup`'s graceful shutdown (or the task's cancellation), then
/// stops every ring of the group and returns once their threads have ended.
///
/// A `ServiceGroup` shuts its services down in reverse order, so list this service before
/// the services that use its rings (a ``TCPServer``): they drain first, then the rings stop.
///
/// ```swift
/// let rings = try RingGroup()
/// let listener = try TCPListener.bind(port: 8080, group: rings)
/// let server = TCPServer(listener: listener) { connection in ... }
/// let services = ServiceGroup(
///     services: [RingGroupService(rings), server],
///     gracefulShutdownSignals: [.sigterm, .sigint],
///     logger: logger)
/// try await services.run()
/// ```
public struct RingGroupService: Service {
    /// The rings this service stops.
    public let group: RingGroup

    /// - Parameter group: the rings to stop at graceful shutdown; the service owns them
    ///   from now on (stopping them ends every operation still in flight on them).
    public init(_ group: RingGroup) {
        self.group = group
    }

    /// Waits for graceful shutdown or cancellation, then stops the rings
    /// (`RingGroup.shutdown()`). Returns normally in both cases.
    public func run() async throws {
        // Throws CancellationError when the task is cancelled: the rings stop then too.
        try? await gracefulShutdown()
        await group.shutdown()
    }
}
