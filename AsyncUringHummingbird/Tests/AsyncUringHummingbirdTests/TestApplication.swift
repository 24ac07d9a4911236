import AsyncUringHummingbird
import AsyncUringSocket
import Hummingbird
import Logging
import ServiceLifecycle

/// Runs `responder` in a ``UringApplication`` on a kernel-picked loopback port for the time of
/// `body`, then shuts it down gracefully.
func withApplication<Responder: HTTPResponder>(
    responder: Responder,
    configuration: UringApplicationConfiguration = UringApplicationConfiguration(port: 0),
    _ body: (_ port: Int) async throws -> Void
) async throws where Responder.Context: InitializableFromSource<UringRequestContextSource> {
    let (addresses, announce) = AsyncStream.makeStream(of: AsyncUringSocket.SocketAddress.self)
    var logger = Logger(label: "AsyncUringHummingbirdTests")
    logger.logLevel = .warning
    let application = UringApplication(
        responder: responder,
        configuration: configuration,
        onServerRunning: { announce.yield($0) },
        logger: logger
    )
    let services = ServiceGroup(services: [application], logger: logger)
    try await withThrowingTaskGroup { group in
        group.addTask { try await services.run() }
        var iterator = addresses.makeAsyncIterator()
        guard let address = await iterator.next(), let port = address.port else {
            throw TestClientError("the application did not start")
        }
        do {
            try await body(port)
        } catch {
            await services.triggerGracefulShutdown()
            throw error
        }
        await services.triggerGracefulShutdown()
        try await group.waitForAll()
    }
}
