import Synchronization

/// The keys and values, shared by the connections of every ring.
///
/// One dictionary behind one lock, not sharded: connections on different rings wait for
/// each other on it. A server that must scale with its rings would shard it by key hash.
final class RespStore: Sendable {
    private let values = Mutex<[Key: [UInt8]]>([:])

    func set(_ key: [UInt8], to value: [UInt8]) {
        values.withLock { $0[Key(bytes: key)] = value }
    }

    func value(for key: [UInt8]) -> [UInt8]? {
        values.withLock { $0[Key(bytes: key)] }
    }

    /// A key hashed as one block of bytes: `[UInt8]`'s own hashing feeds the hasher a byte
    /// at a time.
    private struct Key: Hashable {
        var bytes: [UInt8]

        func hash(into hasher: inout Hasher) {
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }
}
