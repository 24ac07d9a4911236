import Synchronization

/// The keys and values, shared by the connections of every ring.
///
/// One dictionary behind one lock, not sharded: connections on different rings wait for
/// each other on it. A server that must scale with its rings would shard it by key hash.
final class RespStore: Sendable {
    private let values = Mutex<[[UInt8]: [UInt8]]>([:])

    func set(_ key: [UInt8], to value: [UInt8]) {
        values.withLock { $0[key] = value }
    }

    func value(for key: [UInt8]) -> [UInt8]? {
        values.withLock { $0[key] }
    }
}
