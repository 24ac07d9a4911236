import AsyncUring

/// The keys and values, shared by the connections of every ring.
///
/// One dictionary behind one lock, not sharded: connections on different rings wait for
/// each other on it. A server that must scale with its rings would shard it by key hash.
final class RespStore: Sendable {
    private let values = Locked<[Key: [UInt8]]>([:])

    func set(_ key: ArraySlice<UInt8>, to value: ArraySlice<UInt8>) {
        // Copies, so the store does not hold on to the request's buffer.
        let key = Key(bytes: ArraySlice(Array(key)))
        let value = Array(value)
        values.withLock { $0[key] = value }
    }

    func value(for key: ArraySlice<UInt8>) -> [UInt8]? {
        values.withLock { $0[Key(bytes: key)] }
    }

    /// A key hashed as one block of bytes (`ArraySlice`'s own hashing feeds the hasher a
    /// byte at a time); looked up by a slice of the request, without a copy.
    private struct Key: Hashable {
        var bytes: ArraySlice<UInt8>

        func hash(into hasher: inout Hasher) {
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }
}
