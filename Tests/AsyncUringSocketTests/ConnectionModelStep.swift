import PropertyBased

/// One step of a random run on a connected pair: what one side does, and from which task.
struct ModelStep: Sendable, CustomStringConvertible {
    enum Side: Int, Sendable, CustomStringConvertible {
        case client, peer

        var other: Side { self == .client ? .peer : .client }
        var description: String { self == .client ? "client" : "peer" }
    }

    /// Where the step's task runs.
    enum Caller: Int, Sendable {
        /// A task on the global executor: every call hops to the ring.
        case outside
        /// `Task(executorPreference: connection.ring)`.
        case ring
        /// The same, inside `connection.withCancellationScope`.
        case ringScope
    }

    enum Action: Sendable, Equatable, CustomStringConvertible {
        /// `send(_:)` of this many bytes: queued, it returns at once unless the queue is full.
        case send(bytes: Int)
        /// `receiveBytes()`, then `send(_:)` of the received buffer back to the other side.
        case forward
        case receive(maxBytes: Int)
        case receiveWithTimeout(milliseconds: Int)
        /// A task waits in `receive`; it is cancelled after this many milliseconds.
        case cancelReceive(afterMilliseconds: Int)
        /// A task sends more than the socket buffers hold; it is cancelled after a while: the
        /// send returned (queued) or throws `CancellationError` (it waited for room).
        case cancelSend(bytes: Int, afterMilliseconds: Int)
        case shutdownWrite
        case shutdownRead
        case close
        /// `setOption(.resetOnClose)` (`SO_LINGER` 0), then `close()`: the other side gets a reset.
        case reset

        var description: String {
            switch self {
            case .send(let bytes): "send(\(bytes))"
            case .forward: "forward()"
            case .receive(let maxBytes): "receive(max: \(maxBytes))"
            case .receiveWithTimeout(let milliseconds): "receive(timeout: \(milliseconds) ms)"
            case .cancelReceive(let milliseconds): "cancelReceive(after: \(milliseconds) ms)"
            case .cancelSend(let bytes, let milliseconds): "cancelSend(\(bytes), after: \(milliseconds) ms)"
            case .shutdownWrite: "shutdown(.write)"
            case .shutdownRead: "shutdown(.read)"
            case .close: "close()"
            case .reset: "reset()"
            }
        }
    }

    var side: Side
    var action: Action
    var caller: Caller

    var description: String {
        switch caller {
        case .outside: "\(side).\(action)"
        case .ring: "\(side).\(action)@ring"
        case .ringScope: "\(side).\(action)@scope"
        }
    }

    init(_ side: Side, _ action: Action, _ caller: Caller = .outside) {
        self.side = side
        self.action = action
        self.caller = caller
    }

    /// A step from four random numbers. Each number shrinks toward 0, so a shrunk step is
    /// a small send from the client, outside the ring.
    /// - Parameters:
    ///   - kind: 0..<100, weighted: sends and receives are common, closes and resets rare.
    ///   - amount: 0..<1,000,000: sizes, timeouts and delays, small ones more often.
    init(kind: Int, side: Int, amount: Int, caller: Int) {
        self.side = Side(rawValue: side) ?? .client
        self.caller = Caller(rawValue: caller) ?? .outside
        action =
            switch kind {
            case ..<26: .send(bytes: Self.sendSize(amount))
            case ..<34: .forward
            case ..<56: .receive(maxBytes: amount < 700_000 ? 1 + amount % 16384 : 16385 + amount % 65536)
            case ..<63: .receiveWithTimeout(milliseconds: 1 + amount % 30)
            case ..<73: .cancelReceive(afterMilliseconds: amount % 15)
            // More than a non-reading peer takes in (about 4 MiB on loopback), so it waits.
            case ..<79: .cancelSend(bytes: (4 << 20) + amount % (4 << 20), afterMilliseconds: amount % 15)
            case ..<86: .shutdownWrite
            case ..<91: .shutdownRead
            case ..<96: .close
            default: .reset
            }
    }

    /// Up to 4 KiB most often, up to 64 KiB or up to 256 KiB (past the send queue limit).
    private static func sendSize(_ amount: Int) -> Int {
        switch amount {
        case ..<550_000: 1 + amount % 4096
        case ..<800_000: 4097 + amount % 61440
        default: 65537 + amount % 196_608
        }
    }

    /// Sequences of 1 to 40 steps; shrinking drops steps and shrinks each toward a small send.
    static let sequences = zip(
        Gen.int(in: 0...99),
        Gen.int(in: 0...1),
        Gen.int(in: 0...999_999),
        Gen.int(in: 0...2)
    )
    .map { ModelStep(kind: $0.0, side: $0.1, amount: $0.2, caller: $0.3) }
    .array(of: 1...40)
}
