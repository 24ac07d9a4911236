import AsyncUring

/// A server's connection slots: its accept loop takes one before each accept, and waits
/// while none is free; a handler gives its slot back once its connection is closed.
///
/// One task at a time may wait in ``take()`` (the accept loop).
package final class ConnectionSlots: Sendable {
    private struct State: ~Copyable {
        var used = 0
        var isClosed = false
        var waiter: CheckedContinuation<Bool, Never>?
    }

    /// The number of slots.
    package let limit: Int
    private let state = Locked(State())

    package init(limit: Int) {
        precondition(limit >= 0, "a connection limit cannot be negative: \(limit)")
        self.limit = limit
    }

    /// Slots taken and not given back.
    package var used: Int { state.withLock { $0.used } }

    /// Takes a slot if one is free.
    /// - Returns: whether it took one; false once closed.
    package func tryTake() -> Bool {
        state.withLock { state in
            guard !state.isClosed, state.used < limit else { return false }
            state.used += 1
            return true
        }
    }

    /// Takes a slot, waiting until one is given back when none is free.
    /// - Returns: true with a slot taken; false once ``close()`` was called or the waiting
    ///   task is cancelled.
    package func take() async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let taken: Bool? = state.withLock { state in
                    if state.isClosed || Task.isCancelled { return false }
                    if state.used < limit {
                        state.used += 1
                        return true
                    }
                    precondition(state.waiter == nil, "one task at a time waits for a connection slot")
                    state.waiter = continuation
                    return nil
                }
                if let taken { continuation.resume(returning: taken) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: false)
        }
    }

    /// Gives a slot back; a waiting ``take()`` gets it.
    package func giveBack() {
        let waiter = state.withLock { state in
            precondition(state.used > 0, "a connection slot given back that was not taken")
            state.used -= 1
            guard let waiter = state.waiter, state.used < limit else { return CheckedContinuation<Bool, Never>?.none }
            state.waiter = nil
            state.used += 1
            return waiter
        }
        waiter?.resume(returning: true)
    }

    /// Ends a waiting ``take()`` (it returns false) and refuses slots from now on; slots
    /// taken may still be given back.
    package func close() {
        let waiter = state.withLock { state in
            state.isClosed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: false)
    }
}
