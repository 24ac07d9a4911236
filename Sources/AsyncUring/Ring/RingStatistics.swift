/// Counters one ring keeps about its work, all since the ring started.
///
/// The ring thread bumps plain integers (no atomics, no metrics calls on the hot path);
/// ``Ring/statistics()`` copies them out. `RingMetricsReporter` in AsyncUringSocket turns
/// them into swift-metrics counters and gauges.
public struct RingStatistics: Sendable, Hashable {
    /// Requests submitted (each one `io_uring_sqe`, cancels and wake-up reads excluded).
    public var submissions = 0
    /// Completions handled (each `io_uring_cqe`, multishot ones counted one by one).
    public var completions = 0
    /// `IORING_OP_ASYNC_CANCEL` requests submitted.
    public var cancellations = 0
    /// Turns of the ring thread's loop (each at most one `io_uring_enter`).
    public var loopIterations = 0
    /// Completions the kernel had to keep aside because the completion queue was full
    /// (`IORING_FEAT_NODROP` keeps them; none is lost, but the queue is too small).
    public var completionQueueOverflows = 0
    /// Requests waiting for a completion now.
    public var operationsInFlight = 0
    /// Bytes received and sent by connections on this ring.
    public var bytesReceived = 0
    public var bytesSent = 0
    /// Connections accepted by listeners on this ring.
    public var connectionsAccepted = 0
    /// Connections connected (`connect(to:)`) and closed on this ring. Across a group,
    /// accepted + connected - closed is the number of open connections.
    public var connectionsConnected = 0
    public var connectionsClosed = 0

    public init() {}
}

extension Ring {
    /// A copy of the ring's counters, read on its thread.
    public func statistics() async -> RingStatistics {
        if isCurrentThread { return currentStatistics }
        guard !isTerminated else { return currentStatistics }
        return await withCheckedContinuation { continuation in
            execute { [self] in continuation.resume(returning: currentStatistics) }
        }
    }

    /// Counts a connection event (ring thread only).
    package func noteConnection(accepted: Bool = false, connected: Bool = false, closed: Bool = false) {
        if accepted { counters.connectionsAccepted &+= 1 }
        if connected { counters.connectionsConnected &+= 1 }
        if closed { counters.connectionsClosed &+= 1 }
    }
}
