/// Bytes 0, 1, ... 250 repeated, offset by `seed`, so misplaced or lost bytes show.
/// Made by repeating one period: a closure call per byte took 8-11 s for 16 MiB in a debug
/// build under ThreadSanitizer here, a good part of the tests' one-minute limit.
public func pattern(count: Int, seed: Int = 0) -> [UInt8] {
    let period = (0..<251).map { UInt8(truncatingIfNeeded: ($0 + seed) % 251) }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count + period.count)
    while bytes.count < count { bytes += period }
    bytes.removeLast(bytes.count - count)
    return bytes
}
