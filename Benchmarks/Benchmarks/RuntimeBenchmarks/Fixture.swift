import Synchronization

/// State a benchmark builds before its measured iterations and tears down after them.
///
/// package-benchmark's `setup` and `teardown` hooks take no arguments, so the state lives in
/// a holder that the benchmark closure and both hooks capture. Reading ``value`` takes an
/// uncontended lock and allocates nothing; benchmarks read it once, before their loop.
final class Fixture<State: Sendable>: Sendable {
    private let state = Mutex<State?>(nil)

    /// The state made by ``setUp(_:)``. Traps before set-up or after tear-down.
    var value: State {
        state.withLock { state in
            guard let state else { preconditionFailure("benchmark fixture used outside setup...teardown") }
            return state
        }
    }

    /// Makes the state; package-benchmark runs this before the warm-up iterations.
    func setUp(_ make: () async throws -> State) async rethrows {
        let made = try await make()
        state.withLock { $0 = made }
    }

    /// Hands the state to `destroy` and forgets it; package-benchmark runs this after the
    /// last iteration.
    func tearDown(_ destroy: (State) async throws -> Void) async rethrows {
        let taken = state.withLock { state in
            defer { state = nil }
            return state
        }
        guard let taken else { return }
        try await destroy(taken)
    }
}
