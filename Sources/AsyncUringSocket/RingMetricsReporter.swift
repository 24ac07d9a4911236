import AsyncUring
import CoreMetrics
import Logging

/// Publishes the `RingStatistics` of a group's rings as swift-metrics counters and gauges.
///
/// The rings only bump plain integers; this reporter reads them every `interval` and adds
/// the differences to the metrics, so a program that does not run it pays nothing for
/// metrics. Every metric has the dimensions `ring` (the ring's index) and `driver` (what runs
/// the ring: `io_uring`, or `epoll` for the fallback).
///
/// | metric | kind |
/// |---|---|
/// | `uring_submissions_total` | counter |
/// | `uring_completions_total` | counter |
/// | `uring_cancellations_total` | counter |
/// | `uring_loop_iterations_total` | counter |
/// | `uring_cq_overflows_total` | counter |
/// | `uring_bytes_received_total`, `uring_bytes_sent_total` | counter |
/// | `uring_connections_accepted_total`, `uring_connections_connected_total`, `uring_connections_closed_total` | counter |
/// | `uring_operations_in_flight` | gauge |
///
/// Run it beside the server (a child task, or a `ServiceGroup` service); it stops when its
/// task is cancelled.
public struct RingMetricsReporter: Sendable {
    public let group: RingGroup
    public let interval: Duration
    private let factory: any MetricsFactory

    /// - Parameters:
    ///   - group: the rings to report on.
    ///   - interval: how often the counters are read.
    ///   - factory: where the metrics go; by default the bootstrapped `MetricsSystem`.
    public init(group: RingGroup, interval: Duration = .seconds(5), factory: (any MetricsFactory)? = nil) {
        self.group = group
        self.interval = interval
        self.factory = factory ?? MetricsSystem.factory
    }

    /// Reports every `interval` until the task is cancelled, and once more at the end.
    public func run() async {
        var reporters = group.rings.map { RingReporter(ring: $0, factory: factory) }
        while !Task.isCancelled {
            await report(&reporters)
            try? await Task.sleep(for: interval)
        }
        await report(&reporters)
    }

    private func report(_ reporters: inout [RingReporter]) async {
        for index in reporters.indices {
            await reporters[index].report()
        }
    }
}

/// The metrics of one ring and the counter values last published.
private struct RingReporter {
    let ring: Ring
    private var last = RingStatistics()
    private let counters: [(KeyPath<RingStatistics, Int>, Counter)]
    private let inFlight: Gauge

    init(ring: Ring, factory: any MetricsFactory) {
        self.ring = ring
        let dimensions = [("ring", "\(ring.index)"), ("driver", ring.driver.rawValue)]
        func counter(_ name: String) -> Counter {
            Counter(label: "uring_\(name)_total", dimensions: dimensions, factory: factory)
        }
        counters = [
            (\.submissions, counter("submissions")),
            (\.completions, counter("completions")),
            (\.cancellations, counter("cancellations")),
            (\.loopIterations, counter("loop_iterations")),
            (\.completionQueueOverflows, counter("cq_overflows")),
            (\.bytesReceived, counter("bytes_received")),
            (\.bytesSent, counter("bytes_sent")),
            (\.connectionsAccepted, counter("connections_accepted")),
            (\.connectionsConnected, counter("connections_connected")),
            (\.connectionsClosed, counter("connections_closed")),
        ]
        inFlight = Gauge(label: "uring_operations_in_flight", dimensions: dimensions, factory: factory)
    }

    mutating func report() async {
        let now = await ring.statistics()
        for (path, counter) in counters where now[keyPath: path] > last[keyPath: path] {
            counter.increment(by: now[keyPath: path] - last[keyPath: path])
        }
        inFlight.record(now.operationsInFlight)
        last = now
    }
}
