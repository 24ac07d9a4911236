import AsyncUring
import AsyncUringSocket
import Synchronization
import SystemPackage
import Testing

/// What the model knows about one side of a connected pair.
struct ModelSideState {
    /// Every byte handed to a send, in order: the other side must read a prefix of it.
    var outgoing: [UInt8] = []
    /// How much of `outgoing` went to sends that returned without an error.
    var accepted = 0
    /// A send failed or was cancelled: how much of it went out is unknown, so the side sends
    /// no more (later bytes would land at an unknown offset).
    var isSendBroken = false
    /// A send failed in a way that ends the connection; the receive side ends with it.
    var hasFailed = false
    /// `shutdown(.write)` succeeded.
    var isWriteShut = false
    /// `shutdown(.write)` failed: whether the FIN went out is unknown.
    var isWriteShutUncertain = false
    var isReadShut = false
    var isClosed = false
    /// Bytes of the other side's stream received so far.
    var received = 0
    /// A receive returned end of stream.
    var sawEnd = false
    /// A receive threw a reset or broken connection.
    var sawReset = false
}

/// Counts over all runs, printed once the test ends.
struct ModelTally: Sendable {
    var sequences = 0
    var steps = 0
    var skippedSends = 0
    var bytesChecked = 0
    var outcomes: [String: Int] = [:]

    static let shared = Locked(ModelTally())
}

/// A model of a connected pair, fed by what the real pair does: it checks each outcome
/// against what the steps so far allow and records an issue, naming the step sequence, for
/// anything else.
final class ConnectionModel {
    let steps: [ModelStep]
    let connections: [TCPConnection]
    var sides = [ModelSideState(), ModelSideState()]
    /// A reset may have happened (a `reset()`, a close with unread bytes, bytes sent to a
    /// closed side): bytes in flight may be lost and receives and sends may fail with
    /// `ECONNRESET`/`EPIPE`.
    var isDisturbed = false
    /// The label of the step running, for issues.
    var stepLabel = "set-up"
    /// What each step did, for issues.
    var trace: [String] = []
    /// A step did not finish in time: the run stops.
    var hasHung = false
    /// Every task a step started, checked to have ended after the run.
    var tasks: [Task<ModelOperationResult, Never>] = []
    private let streamSeeds: [UInt64]

    init(steps: [ModelStep], client: TCPConnection, peer: TCPConnection, seed: UInt64) {
        self.steps = steps
        connections = [client, peer]
        streamSeeds = [seed &* 2 &+ 1, seed &* 2 &+ 2]
    }

    subscript(side: ModelStep.Side) -> ModelSideState {
        get { sides[side.rawValue] }
        set { sides[side.rawValue] = newValue }
    }

    func connection(_ side: ModelStep.Side) -> TCPConnection { connections[side.rawValue] }

    func issue(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let steps = steps.map(\.description).joined(separator: ", ")
        let message =
            "\(stepLabel): \(text)\nsteps: [\(steps)]\ntrace:\n  \(trace.suffix(30).joined(separator: "\n  "))"
        // Shrinking hides the issues of the runs it tries, and may outlast the time limit:
        // the first failure of the process is printed as found.
        if Self.printedFirstIssue.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged {
            print("ConnectionModelTests: first failure, before shrinking: \(message)")
        }
        Issue.record("\(message)", sourceLocation: sourceLocation)
    }

    private static let printedFirstIssue = Atomic(false)

    // MARK: Streams

    /// The next `count` bytes of `side`'s stream, appended to its `outgoing`. Each 8-byte
    /// word is a hash of the stream's seed and the word's index, so a byte from the other
    /// direction, another connection or another offset does not match (`pattern`'s period
    /// of 251 bytes would hide a shift by a multiple of 251).
    func appendOutgoing(_ count: Int, from side: ModelStep.Side) -> [UInt8] {
        let offset = self[side].outgoing.count
        let seed = streamSeeds[side.rawValue]
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var word = UInt64(0)
            for index in 0..<count {
                let position = offset + index
                if index == 0 || position % 8 == 0 { word = Self.mix(seed ^ (UInt64(position / 8) &* 0x9E37_79B9)) }
                buffer[index] = UInt8(truncatingIfNeeded: word >> UInt64(8 * (position % 8)))
            }
            initialized = count
        }
        self[side].outgoing += bytes
        return bytes
    }

    /// SplitMix64's finalizer.
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    // MARK: What the model allows

    /// Whether a receive on `side` must return without a timeout: bytes it was sent are
    /// due, or an end (FIN, reset, its own shutdown or close) is.
    func mustReturn(at side: ModelStep.Side) -> Bool {
        let me = self[side]
        let other = self[side.other]
        if me.isClosed || me.sawEnd || me.sawReset || me.hasFailed { return true }
        if me.isReadShut || other.isClosed || other.isWriteShut { return true }
        return !isDisturbed && other.accepted > me.received
    }

    /// Whether every byte `side.other` sent must reach `side`, followed by end of stream:
    /// its sender ended in order (`shutdown(.write)` or `close()`) after sends that all
    /// succeeded, nothing reset, and `side` did not shut its own read side.
    func mustDeliverEverything(to side: ModelStep.Side) -> Bool {
        let sender = self[side.other]
        return (sender.isClosed || sender.isWriteShut) && !sender.isSendBroken && !sender.hasFailed
            && !isDisturbed && !self[side].isReadShut
    }

    /// Whether `side` can read what it was sent, to make room for more.
    func canDrain(_ side: ModelStep.Side) -> Bool {
        let me = self[side]
        return !me.isClosed && !me.isReadShut && !me.sawEnd && !me.sawReset && !me.hasFailed && !isDisturbed
    }

    // MARK: Outcomes

    /// A receive on `side` returned `result`.
    func noteReceived(_ result: ModelOperationResult, at side: ModelStep.Side, timeout: Bool, cancelled: Bool) {
        let sender = self[side.other]
        switch result {
        case .bytes(let bytes):
            if self[side].isClosed { issue("\(side) received \(bytes.count) bytes after close()") }
            if self[side].sawEnd && !self[side].isReadShut { issue("\(side) received bytes after end of stream") }
            let start = self[side].received
            guard start + bytes.count <= sender.outgoing.count else {
                issue(
                    "\(side) received \(bytes.count) bytes at offset \(start); only \(sender.outgoing.count) were sent"
                )
                return
            }
            if bytes[...] != sender.outgoing[start..<start + bytes.count] {
                let mismatch =
                    zip(bytes, sender.outgoing[start...]).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                    ?? 0
                issue("\(side) received \(bytes.count) bytes at offset \(start) that differ at +\(mismatch)")
            }
            self[side].received += bytes.count
            ModelTally.shared.withLock { $0.bytesChecked += bytes.count }
        case .end:
            let me = self[side]
            if me.isClosed { issue("\(side) read end of stream after close()") }
            let mayEnd =
                me.isReadShut || me.sawEnd || me.sawReset || me.hasFailed || sender.isClosed || sender.isWriteShut
                || sender.isWriteShutUncertain || isDisturbed
            if !mayEnd { issue("\(side) read end of stream, but \(side.other) neither closed nor shut down writing") }
            if mustDeliverEverything(to: side) && self[side].received != sender.outgoing.count {
                issue("\(side) read end of stream after \(self[side].received) of \(sender.outgoing.count) bytes")
            }
            self[side].sawEnd = true
        case .failed(let error):
            let resets = isDisturbed || self[side].hasFailed || sender.isWriteShutUncertain
            check(error, "receive", at: side, timeout: timeout, cancelled: cancelled, resets: resets)
            if let error = error as? SocketError, error.isConnectionReset { self[side].sawReset = true }
        case .done, .forwarded:
            issue("a receive returned \(result)")
        }
    }

    /// A send from `side` returned `result`. A void send is one after `shutdown(.write)`:
    /// none of its bytes may arrive.
    func noteSent(_ result: ModelOperationResult, from side: ModelStep.Side, void: Bool, timeout: Bool, cancelled: Bool)
    {
        switch result {
        case .done:
            if self[side].isClosed { issue("a send on the closed \(side) succeeded") }
            if !void { self[side].accepted = self[side].outgoing.count }
        case .failed(let error):
            if !void { self[side].isSendBroken = true }
            let receiver = self[side.other]
            let resets = isDisturbed || void || receiver.isClosed || self[side].hasFailed
            check(error, "send", at: side, timeout: timeout, cancelled: cancelled, resets: resets)
            // As the runtime: EPIPE after our own shutdown(.write) leaves the receive side be.
            if let error = error as? SocketError, Self.endsConnection(error.errno),
                !(error.errno == .brokenPipe && self[side].isWriteShut)
            {
                self[side].hasFailed = true
            }
        default:
            issue("a send returned \(result)")
        }
    }

    /// `shutdown` on `side` returned `result`.
    func noteShutdown(_ result: ModelOperationResult, at side: ModelStep.Side, write: Bool) {
        switch result {
        case .done:
            if self[side].isClosed { issue("shutdown on the closed \(side) succeeded") }
            if write { self[side].isWriteShut = true } else { self[side].isReadShut = true }
        case .failed(let error):
            // A write shutdown reports the failure of a queued send, a timeout included.
            let sendHadFailed = self[side].isSendBroken
            if write {
                // A queued send failed (shutdown reports it): the stream is cut.
                self[side].isWriteShutUncertain = true
                self[side].isSendBroken = true
            }
            // After shutdown(.write) the next call reports a later send's EPIPE, and once
            // both FINs went the socket is closed: shutdown finds it not connected.
            let me = self[side]
            let resets =
                isDisturbed || me.hasFailed || self[side.other].isClosed || me.isWriteShut || me.isWriteShutUncertain
            check(error, "shutdown", at: side, timeout: write && sendHadFailed, cancelled: false, resets: resets)
        default:
            issue("a shutdown returned \(result)")
        }
    }

    /// `close()` (or `reset()`) on `side` returned `result`.
    func noteClosed(_ result: ModelOperationResult, at side: ModelStep.Side) {
        let wasClosed = self[side].isClosed
        self[side].isClosed = true
        switch result {
        case .done:
            if wasClosed { issue("a second close() of \(side) succeeded") }
        case .failed(let error):
            if wasClosed {
                check(error, "close", at: side, timeout: false, cancelled: false, resets: false, wasClosed: true)
            } else {
                issue("close() of the open \(side) failed: \(error)")
            }
        default:
            issue("a close returned \(result)")
        }
    }

    /// Checks that `error` is one `operation` may throw now: `EBADF` on a closed side and
    /// nothing else there; `ETIMEDOUT` with a timeout; `CancellationError` (or `ECANCELED`)
    /// when cancelled; a reset or broken pipe when a reset may have happened.
    func check(
        _ error: any Error,
        _ operation: String,
        at side: ModelStep.Side,
        timeout: Bool,
        cancelled: Bool,
        resets: Bool,
        wasClosed: Bool? = nil
    ) {
        guard let socketError = error as? SocketError else {
            if error is CancellationError {
                ModelTally.shared.withLock { $0.outcomes["\(operation): CancellationError", default: 0] += 1 }
                if !cancelled { issue("\(operation) on \(side) threw CancellationError, but nothing cancelled it") }
            } else {
                issue("\(operation) on \(side) threw \(type(of: error)) (\(error)), not a SocketError")
            }
            return
        }
        let errno = socketError.errno
        ModelTally.shared.withLock { $0.outcomes["\(operation): \(errno)", default: 0] += 1 }
        if wasClosed ?? self[side].isClosed {
            if errno != .badFileDescriptor { issue("\(operation) on the closed \(side) threw \(socketError)") }
            return
        }
        let allowed =
            switch errno {
            case .timedOut: timeout
            case .canceled: cancelled
            case .connectionReset, .brokenPipe, .socketNotConnected, .connectionAbort: resets
            default: false
            }
        if !allowed { issue("\(operation) on \(side) threw \(socketError)") }
    }

    /// The errors after which the runtime ends the connection's receive side too.
    private static func endsConnection(_ errno: Errno) -> Bool {
        [.connectionReset, .brokenPipe, .connectionAbort, .socketNotConnected].contains(errno)
    }
}

/// What one operation on a connection returned.
enum ModelOperationResult: Sendable, CustomStringConvertible {
    case bytes([UInt8])
    case end
    case done
    /// `forward`: the bytes received, and the failure of sending them on, if any.
    case forwarded([UInt8], sendFailure: (any Error)?)
    case failed(any Error)

    var description: String {
        switch self {
        case .bytes(let bytes): "\(bytes.count) bytes"
        case .end: "end of stream"
        case .done: "ok"
        case .forwarded(let bytes, let failure): "forwarded \(bytes.count) bytes" + (failure.map { ", \($0)" } ?? "")
        case .failed(let error): "\(error)"
        }
    }
}
