/// One allocation a request points at (iovecs, a statx buffer), freed when the last
/// reference goes: an operation's state holds one until the request's final completion.
final class RequestMemory {
    // SAFETY: allocated here, freed in deinit; whoever points the kernel at it keeps this
    // object alive until the kernel is done (``OperationState/retainedStorage``).
    let bytes: UnsafeMutableRawPointer

    init<T>(of type: T.Type, count: Int) {
        bytes = .allocate(byteCount: MemoryLayout<T>.stride * max(count, 1), alignment: MemoryLayout<T>.alignment)
        bytes.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<T>.stride * max(count, 1))
    }

    deinit {
        bytes.deallocate()
    }

    func typed<T>(as type: T.Type) -> UnsafeMutablePointer<T> {
        bytes.assumingMemoryBound(to: T.self)
    }
}
