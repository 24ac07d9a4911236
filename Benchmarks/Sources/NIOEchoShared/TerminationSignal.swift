import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Waits for SIGINT or SIGTERM, the signals that stop a peer server.
///
/// Create it before the server starts accepting: once `init` returns, SIGINT and SIGTERM no
/// longer end the process but are delivered to ``wait()``, so a signal sent right after the
/// `listening on` line is not lost. SIGPIPE is ignored as well, so that writing to a peer that
/// has gone away fails with `EPIPE` and ends that connection only.
public final class TerminationSignal: Sendable {
    /// Kept so the dispatch sources stay registered for the life of the process. Never touched
    /// after `init`, so sharing the object across threads cannot race on them.
    nonisolated(unsafe) private let sources: [any DispatchSourceSignal]
    private let arrivals: AsyncStream<Int32>

    /// Ignores SIGPIPE and starts listening for SIGINT and SIGTERM.
    ///
    /// Returns once both signal sources are registered.
    public init() async {
        signal(SIGPIPE, SIG_IGN)
        let (arrivals, continuation) = AsyncStream.makeStream(of: Int32.self, bufferingPolicy: .bufferingOldest(1))
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            #if canImport(Darwin)
            // Darwin delivers signal sources through kqueue, beneath the signal disposition: the
            // default action would end the process first. Linux's libdispatch installs a handler
            // of its own, which `SIG_IGN` would replace.
            signal(number, SIG_IGN)
            #endif
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            // Registration happens on a dispatch thread after `resume()`; until it has, the
            // signal would still take its default action.
            await withCheckedContinuation { (registered: CheckedContinuation<Void, Never>) in
                source.setRegistrationHandler { registered.resume() }
                source.resume()
            }
            sources.append(source)
        }
        self.sources = sources
        self.arrivals = arrivals
    }

    /// Suspends until SIGINT or SIGTERM arrives.
    ///
    /// Call it from one task only.
    ///
    /// - Returns: The signal's number, or `nil` if the waiting task was cancelled first.
    @discardableResult
    public func wait() async -> Int32? {
        for await number in arrivals {
            return number
        }
        return nil
    }
}
