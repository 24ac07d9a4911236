import AsyncUring

extension TCPConnection {
    /// Runs `body` with one cancellation handler for the waits the calling task makes on
    /// this connection, instead of one per wait.
    ///
    /// Receives normally install a task cancellation handler each time they wait, which costs about 0.5 µs. Inside the
    /// scope, waits made by the task that opened it rely on the scope's handler instead;
    /// cancelling that task still ends them at once, with `CancellationError`. Waits from
    /// other tasks (child tasks included) are unaffected, and a nested scope adds nothing.
    /// Off the connection's ring thread it just runs `body`: the scope serves tasks that
    /// prefer the ring as their executor. ``TCPServer`` runs every handler in such a scope.
    ///
    /// - Parameter body: the work on this connection.
    /// - Returns: what `body` returns.
    public func withCancellationScope<Result>(_ body: () async throws -> Result) async throws -> Result {
        guard ring.isCurrentThread, scopeTask == nil, let task = withUnsafeCurrentTask(body: { $0 }) else {
            return try await body()
        }
        scopeTask = task
        defer { scopeTask = nil }
        return try await withTaskCancellationHandler {
            try await body()
        } onCancel: {
            ring.execute { [receiver] in receiver.cancelScopedWait() }
        }
    }

    /// Whether the calling task opened this connection's cancellation scope.
    var isInCancellationScope: Bool {
        guard let scopeTask else { return false }
        return withUnsafeCurrentTask { $0 == scopeTask }
    }

    /// Ends a receive waiting in this connection's cancellation scope, as cancelling the
    /// scope's task would; call on the connection's ring thread. A server's graceful
    /// shutdown uses it to end the waits of idle connections.
    package func cancelScopedReceive() {
        receiver.cancelScopedWait()
    }
}
