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
    /// How long after the end a connection still waiting for its echo is given before its
    /// socket is shut down and it counts as stalled.
    var stallGraceSeconds: Double = 2
}

/// The load generator behind `echo-client`: each connection sends `size` bytes, receives
/// exactly `size` bytes back, checks them, and repeats until the plan's time is up.
///
/// Connections are opened with the public API, then each ring's connections are driven from
/// their completions (``EchoDriver``), as the C load generator drives its sockets from
/// epoll: the load generator must cost no more per round trip than the servers it measures.
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

    /// Runs each ring's connections with an ``EchoDriver``, the rings side by side, then
    /// closes the connections.
    private static func pingPongAll(
        _ connections: [(index: Int, connection: TCPConnection)],
        size: Int,
        window: MeasurementWindow,
        plan: EchoLoadPlan,
        onMeasurementStart: @escaping @Sendable () -> Void
    ) async -> EchoLoadTally {
        let byRing = Dictionary(grouping: connections) { ObjectIdentifier($0.connection.ring) }
        return await withTaskGroup(of: ConnectionTally?.self) { tasks in
            tasks.addTask {
                await MonotonicClock.sleep(untilNanoseconds: window.measureFrom)
                if !Task.isCancelled { onMeasurementStart() }
                return nil
            }
            for ringConnections in byRing.values {
                let ring = ringConnections[0].connection.ring
                tasks.addTask {
                    let ringTally = await EchoDriver.run(
                        ring: ring,
                        ringConnections,
                        size: size,
                        window: window,
                        stallGrace: plan.stallGraceSeconds
                    )
                    for (_, connection) in ringConnections { try? await connection.close() }
                    return ringTally
                }
            }
            var tally = EchoLoadTally()
            for await ringTally in tasks {
                if let ringTally { tally.merge(ringTally) }
            }
            return tally
        }
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
    case mismatch(at: Int)

    var description: String {
        switch self {
        case .endOfStream(let received, let expected):
            "server closed the connection after \(received) of \(expected) echoed bytes"
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
