import AsyncUringHTTP
import AsyncUringSocket
import AsyncUringTestSupport
import MetricsTestKit
import Testing

@Suite(.timeLimit(.minutes(1))) struct HTTPServerMetricsTests {
    @Test func countsRequestsByStatusAndTimesThem() async throws {
        let metrics = TestMetrics()
        try await withLeakCheck {
            let server = HTTPServer(
                listener: try TCPListener.bind(port: 0),
                metricsFactory: metrics,
                handler: testHandler
            )
            let running = Task { try await server.run() }
            var client = try await RawHTTPClient(connectingTo: server)
            for path in ["/hello", "/hello", "/missing"] {
                try await client.send("GET \(path) HTTP/1.1\r\nHost: t\r\n\r\n")
                _ = try await client.readResponse()
            }
            try await client.send("GET / HTTP/1.1\r\n\r\n")
            #expect(try await client.readResponse().status == 400)
            try await client.close()
            server.triggerGracefulShutdown()
            try await running.value
        }
        #expect(try metrics.expectCounter("http_server_requests_total", [("status", "200")]).totalValue == 2)
        #expect(try metrics.expectCounter("http_server_requests_total", [("status", "404")]).totalValue == 1)
        #expect(try metrics.expectCounter("http_server_requests_total", [("status", "400")]).totalValue == 1)
        #expect(try metrics.expectTimer("http_server_request_duration_seconds").values.count == 3)
    }
}
