import Dispatch
import Glibc

/// Delivers SIGINT and SIGTERM to ``wait()`` instead of ending the process, and ignores
/// SIGPIPE (a write to a vanished peer then fails with `EPIPE` and ends that connection only).
///
/// Each signal is set to `SIG_IGN` before its dispatch source is made: until the source is
/// registered a signal is dropped rather than killing the process half set up, and Linux's
/// libdispatch installs its own handler on registration. `init` returns once both sources
/// are registered, so a signal sent after it is never lost.
final class TerminationSignals: Sendable {
    /// Kept so the sources stay registered; never touched after `init`.
    nonisolated(unsafe) private let sources: [any DispatchSourceSignal]
    private let arrivals: AsyncStream<Int32>

    init() async {
        signal(SIGPIPE, SIG_IGN)
        let (arrivals, continuation) = AsyncStream.makeStream(of: Int32.self, bufferingPolicy: .bufferingOldest(4))
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
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
    /// - Returns: the signal's number, or nil when the waiting task was cancelled first.
    @discardableResult
    func wait() async -> Int32? {
        for await number in arrivals { return number }
        return nil
    }
}
