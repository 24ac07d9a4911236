import AsyncUring
import CoreMetrics

/// The server's metrics: requests by status, and request durations.
final class HTTPServerMetrics: Sendable {
    private let factory: any MetricsFactory
    private let duration: Timer
    /// 200's counter, made up front: no lock on the common path.
    private let ok: Counter
    /// One counter per other status code, made on first use.
    private let counters = Locked<[Int: Counter]>([:])

    init(factory: any MetricsFactory) {
        self.factory = factory
        duration = Timer(label: "http_server_request_duration_seconds", factory: factory)
        ok = Counter(label: "http_server_requests_total", dimensions: [("status", "200")], factory: factory)
    }

    func countRequest(status: Int) {
        if status == 200 { return ok.increment() }
        let counter = counters.withLock { counters in
            if let counter = counters[status] { return counter }
            let counter = Counter(
                label: "http_server_requests_total",
                dimensions: [("status", "\(status)")],
                factory: factory
            )
            counters[status] = counter
            return counter
        }
        counter.increment()
    }

    func recordDuration(_ elapsed: Duration) {
        let (seconds, attoseconds) = elapsed.components
        duration.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
