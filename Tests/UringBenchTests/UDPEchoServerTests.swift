import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import Testing

@testable import uring_bench

/// `uring-bench udp-echo-server` as a child process, on each driver.
@Suite struct UDPEchoServerTests {
    @Test(.timeLimit(.minutes(1)), arguments: RingDriver.allCases)
    func everyDatagramComesBackWholeAndSIGTERMEndsTheServer(driver: RingDriver) async throws {
        let child = try RefusedIoUringTests.launch(
            ["udp-echo-server", "--port", "0", "--driver", driver.rawValue],
            driverVariable: nil,
            refusingIoUring: false
        )
        do {
            let port = try await EchoServerFloodTests.announcedPort(of: child)
            #expect(child.output.lines.contains("driver: \(driver)"))
            let client = try UDPSocket.bind(port: 0)
            let server = try SocketAddress("127.0.0.1:\(port)")
            for (index, size) in [0, 1, 64, 1_400, 9_000, 16_000].enumerated() {
                let payload = pattern(count: size, seed: index)
                try await client.send(payload, to: server)
                let echoed = try await client.receive(timeout: .seconds(5))
                #expect(echoed.sender == server)
                #expect(echoed.bytes == payload && !echoed.isTruncated, "\(size) bytes")
            }
            try await client.close()
        } catch {
            await child.terminate()
            throw error
        }
        await child.terminate()
        #expect(child.exitStatus == 0, "\(RunningServer.log(of: child))")
    }
}
