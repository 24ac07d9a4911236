import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import MetricsTestKit
import Testing

extension SocketTests {
    @Suite struct MetricsTests {
        @Test func reporterPublishesTheRingsCounters() async throws {
            try await withLeakCheck {
                let group = try RingGroup(numberOfRings: 1)
                let metrics = TestMetrics()
                let reporter = RingMetricsReporter(group: group, interval: .milliseconds(10), factory: metrics)
                let reporting = Task { await reporter.run() }
                let (listener, server) = try startEchoServer(group: group)
                let client = try await TCPConnection.connect(to: listener.localAddress, ring: group.rings[0])
                try await client.send(pattern(count: 1000))
                #expect(try await receiveExactly(1000, from: client).count == 1000)
                try await client.close()
                server.cancel()
                _ = try? await server.value
                let statistics = await group.rings[0].statistics()
                #expect(statistics.connectionsAccepted == 1)
                #expect(statistics.connectionsConnected == 1)
                #expect(statistics.bytesReceived >= 2000)  // the server's and the client's
                #expect(statistics.bytesSent >= 2000)
                #expect(statistics.completions > 0 && statistics.loopIterations > 0)
                reporting.cancel()
                await reporting.value
                let dimensions = [("ring", "0"), ("driver", group.rings[0].driver.rawValue)]
                #expect(
                    metrics.counterTotal(label: "uring_bytes_received_total", dimensions: dimensions)
                        == Int64(statistics.bytesReceived)
                )
                #expect(metrics.counterTotal(label: "uring_connections_accepted_total", dimensions: dimensions) == 1)
                #expect(
                    metrics.counterTotal(label: "uring_submissions_total", dimensions: dimensions)
                        >= Int64(statistics.submissions)
                )
                #expect(try metrics.expectGauge("uring_operations_in_flight", dimensions).lastValue != nil)
                await group.shutdown()
            }
        }
    }
}
