import AsyncUring
import AsyncUringSocket
import Glibc
import Histogram

/// What ``EchoLoad`` does: strict ping-pong over `connections` connections, for `warmup`
/// then `duration` seconds.
struct EchoLoadPlan: Sendable {
    var address: SocketAddress
    var connections: Int
    var size: Int
    var warmupSeconds: Double
    var durationSeconds: Double
    var connectTimeout: Duration = .seconds(5)
    /// How long after the end a connection still waiting for its echo is given before it is
    /// cancelled and counted as stalled.
    var stallGraceSeconds: Double = 2
}

/// The load generator behind `echo-client`: each connection sends `size` bytes, receives
/// exactly `size` bytes back, checks them, and repeats until the plan's time is up.
///
/// Each connection's loop runs in a task that prefers the connection's ring as its executor,
/// so every `await` resumes on that ring's thread with no hop; its message is made once and
/// echoes are checked in the buffers they arrive in, so a round trip allocates nothing.
enum EchoLoad {
    /// Connects every connection (spread round-robin over `group`'s rings), then runs the
    /// ping-pong loops.
    /// - Parameter onMeasurementStart: called once, when warm-up ends.
    static func run(
        _ plan: EchoLoadPlan,
        group: RingGroup,
        onMeasurementStart: @escaping @Sendable () -> Void = {}
    ) async -> EchoLoadTally {
        let (connections, connectTally) = await connectAll(plan, group: group)
        let start = MonotonicClock.now()
        let window = MeasurementWindow(
            measureFrom: start + MonotonicClock.nanoseconds(plan.warmupSeconds),
            end: start + MonotonicClock.nanoseconds(plan.warmupSeconds + plan.durationSeconds)
        )
        var tally = await pingPongAll(connections, size: plan.size, window: window, plan: plan) {
            onMeasurementStart()
        }
        tally.merge(connectTally)
        return tally
    }

    /// Opens the connections concurrently, each from a task on its own ring.
    private static func connectAll(
        _ plan: EchoLoadPlan,
        group: RingGroup
    ) async -> (connections: [(index: Int, connection: TCPConnection)], tally: EchoLoadTally) {
        await withTaskGroup(of: (Int, Result<TCPConnection, any Error>).self) { tasks in
            for index in 0..<plan.connections {
                let ring = group.rings[index % group.rings.count]
                tasks.addTask(executorPreference: ring) {
                    do {
                        let connection = try await TCPConnection.connect(
                            to: plan.address,
                            timeout: plan.connectTimeout,
                            ring: ring
                        )
                        return (index, .success(connection))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var connections: [(index: Int, connection: TCPConnection)] = []
            var tally = EchoLoadTally()
            for await (index, result) in tasks {
                switch result {
                case .success(let connection): connections.append((index, connection))
                case .failure(let error): tally.recordFailedConnection(error)
                }
            }
            return (connections.sorted { $0.index < $1.index }, tally)
        }
    }

    /// Runs one loop per connection plus a watchdog that cancels loops still waiting for an
    /// echo `stallGraceSeconds` after the end, so a silent server cannot hold the run.
    private static func pingPongAll(
        _ connections: [(index: Int, connection: TCPConnection)],
        size: Int,
        window: MeasurementWindow,
        plan: EchoLoadPlan,
        onMeasurementStart: @escaping @Sendable () -> Void
    ) async -> EchoLoadTally {
        await withTaskGroup(of: ConnectionTally?.self) { tasks in
            tasks.addTask {
                await sleep(untilNanoseconds: window.measureFrom)
                if !Task.isCancelled { onMeasurementStart() }
                await sleep(untilNanoseconds: window.end + MonotonicClock.nanoseconds(plan.stallGraceSeconds))
                return nil
            }
            for (index, connection) in connections {
                tasks.addTask(executorPreference: connection.ring) {
                    await pingPong(on: connection, index: index, size: size, window: window)
                }
            }
            var tally = EchoLoadTally()
            var running = connections.count
            while running > 0, let result = await tasks.next() {
                guard let connectionTally = result else {
                    tasks.cancelAll()  // the watchdog: stalled loops get CancellationError
                    continue
                }
                tally.merge(connectionTally)
                running -= 1
            }
            tasks.cancelAll()
            return tally
        }
    }

    /// One connection's loop. Ends at the window's end or at its first error, and closes the
    /// connection either way.
    static func pingPong(
        on connection: TCPConnection,
        index: Int,
        size: Int,
        window: MeasurementWindow
    ) async -> ConnectionTally {
        var tally = ConnectionTally()
        var outgoing = EchoPattern.bytes(count: size, seed: index)
        var sequence: UInt64 = 0
        do {
            // One cancellation handler for the whole loop instead of one per wait.
            try await connection.withCancellationScope {
                while true {
                    let started = MonotonicClock.now()
                    if started >= window.end { break }
                    EchoPattern.stamp(&outgoing, sequence: sequence)
                    try await connection.send(outgoing)
                    try await receiveEcho(of: outgoing, on: connection)
                    let finished = MonotonicClock.now()
                    tally.roundTripsIncludingWarmup += 1
                    if started >= window.measureFrom { tally.record(nanoseconds: finished - started) }
                    sequence &+= 1
                }
            }
        } catch {
            tally.recordError(error)
        }
        try? await connection.close()
        return tally
    }

    /// Receives exactly `expected.count` bytes, in as many pieces as they come, and checks
    /// each piece against the bytes sent, in the buffer it was received in.
    static func receiveEcho(of expected: [UInt8], on connection: TCPConnection) async throws {
        var offset = 0
        while offset < expected.count {
            guard let bytes = try await connection.receiveBytes() else {
                throw EchoFailure.endOfStream(received: offset, expected: expected.count)
            }
            guard offset + bytes.count <= expected.count else {
                throw EchoFailure.tooManyBytes(received: offset + bytes.count, expected: expected.count)
            }
            if let position = bytes.withUnsafeBytes({ EchoPattern.firstMismatch($0, expected: expected, at: offset) }) {
                throw EchoFailure.mismatch(at: position)
            }
            offset += bytes.count
        }
    }

    private static func sleep(untilNanoseconds deadline: UInt64) async {
        let now = MonotonicClock.now()
        guard deadline > now else { return }
        try? await Task.sleep(for: .nanoseconds(Int64(deadline - now)))
    }
}

/// The warm-up ends at `measureFrom`, the run at `end` (`CLOCK_MONOTONIC` nanoseconds).
struct MeasurementWindow: Sendable {
    var measureFrom: UInt64
    var end: UInt64
}

/// Why a connection's echo was wrong.
enum EchoFailure: Error, CustomStringConvertible {
    case endOfStream(received: Int, expected: Int)
    case tooManyBytes(received: Int, expected: Int)
    case mismatch(at: Int)

    var description: String {
        switch self {
        case .endOfStream(let received, let expected):
            "server closed the connection after \(received) of \(expected) echoed bytes"
        case .tooManyBytes(let received, let expected):
            "server echoed \(received) bytes for \(expected) sent"
        case .mismatch(let position): "echoed byte \(position) differs from the byte sent"
        }
    }
}

/// The bytes a connection sends: a pattern that differs per connection, with the round
/// trip's sequence number in its first (up to) 8 bytes, so a stale or misrouted echo shows.
enum EchoPattern {
    static func bytes(count: Int, seed: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: seed &* 31 &+ $0 &* 7) }
    }

    /// Writes `sequence` little-endian over the first bytes, in place.
    static func stamp(_ bytes: inout [UInt8], sequence: UInt64) {
        for index in 0..<min(8, bytes.count) {
            bytes[index] = UInt8(truncatingIfNeeded: sequence >> (8 * UInt64(index)))
        }
    }

    /// The position of the first byte of `received` that differs from `expected[offset...]`,
    /// or nil when all match.
    static func firstMismatch(_ received: UnsafeRawBufferPointer, expected: [UInt8], at offset: Int) -> Int? {
        precondition(offset >= 0 && offset + received.count <= expected.count)
        // memcmp, not a Swift loop: checking 4 KiB echoes byte by byte took a third of the
        // client's CPU time. Both ranges are in bounds (checked above).
        let isEqual = expected.withUnsafeBytes { expectedBytes in
            received.isEmpty || memcmp(received.baseAddress!, expectedBytes.baseAddress! + offset, received.count) == 0
        }
        if isEqual { return nil }
        return received.indices.first { received[$0] != expected[offset + $0] }.map { offset + $0 }
    }
}
