import Glibc

extension Ring {
    /// The ring whose thread runs the caller, or `nil` on any other thread (and on the
    /// thread of a ring that has ended).
    ///
    /// Code that runs in a task preferring a ring as its executor, and is not isolated to an
    /// actor, finds that ring here: ``RingClock`` uses it to sleep on the caller's ring.
    public static var current: Ring? {
        guard let pointer = pthread_getspecific(currentRingKey) else { return nil }
        // SAFETY: the pointer is set on the ring thread while that thread's closure holds
        // the ring strongly, and cleared before the closure returns; only that same thread
        // reads it.
        let ring = Unmanaged<Ring>.fromOpaque(pointer).takeUnretainedValue()
        return ring.isCurrentThread ? ring : nil
    }

    /// Makes this ring ``current`` on its thread; called on the ring thread once it is set up.
    func becomeCurrent() {
        precondition(pthread_setspecific(currentRingKey, Unmanaged.passUnretained(self).toOpaque()) == 0)
    }

    /// Makes no ring current on the calling thread; called on the ring thread as it ends.
    func resignCurrent() {
        precondition(pthread_setspecific(currentRingKey, nil) == 0)
    }
}

/// The thread-specific slot of ``Ring/current``. A `pthread_key_t` rather than a lookup in
/// the ring groups: it costs no lock and is found in a few nanoseconds.
private let currentRingKey: pthread_key_t = {
    var key = pthread_key_t()
    let ret = pthread_key_create(&key, nil)
    precondition(ret == 0, "pthread_key_create failed: \(String(cString: strerror(ret)))")
    return key
}()
