import ArgumentParser
import AsyncUring
import AsyncUringSocket

/// `uring-bench udp-echo-server`: a UDP echo server on ``UDPSocket``, an ordinary async loop
/// on the public API. Prints `driver: NAME` and `listening on HOST:PORT`, sends every
/// datagram back to its sender until SIGINT or SIGTERM, then exits 0.
struct UDPEchoServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "udp-echo-server",
        abstract: "Send every UDP datagram back to its sender, until SIGINT or SIGTERM."
    )

    @Option(help: "The address to bind to.")
    var host = "127.0.0.1"

    @Option(help: "The port to bind to; 0 lets the kernel pick one.")
    var port: Int

    @Option(help: "The ring's driver: io_uring or epoll (default: automatic, see ASYNC_URING_DRIVER).")
    var driver: RingDriver?

    @Option(help: "SO_RCVBUF in bytes (default: the kernel's).")
    var receiveBufferSize: Int?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535, not \(port)") }
    }

    func run() async throws {
        let signals = await TerminationSignals()
        let group = try RingGroup(numberOfRings: 1, configuration: RingConfiguration(driver: driver))
        let ring = group.rings[0]
        announce("driver: \(ring.driver.description(fallbackReason: ring.driver.fallbackReasonDescription))")
        let socket = try UDPSocket.bind(host: host, port: port, ring: ring)
        if let receiveBufferSize { try socket.setOption(.receiveBufferSize(receiveBufferSize)) }
        announce("listening on \(socket.localAddress)")
        let echo = Task(executorPreference: ring) {
            while true {
                let datagram = try await socket.receive()
                try await socket.send(datagram.bytes, to: datagram.sender)
            }
        }
        _ = await signals.wait()
        echo.cancel()
        _ = await echo.result
        try await socket.close()
        await group.shutdown()
    }
}
