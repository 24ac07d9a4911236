import Glibc

/// Starts the dedicated thread of a ring. The thread lives as long as the ring: the kernel
/// cancels a thread's pending io_uring requests when that thread exits, so requests are only
/// ever submitted from threads that outlive them.
enum RingThread {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    static func start(_ body: @escaping () -> Void) {
        let ret = create(body)
        precondition(ret == 0, "pthread_create failed: \(String(cString: strerror(ret)))")
    }

    /// Starts a detached thread running `body`; false when the system refuses one.
    static func tryStart(_ body: @escaping () -> Void) -> Bool {
        create(body) == 0
    }

    private static func create(_ body: @escaping () -> Void) -> Int32 {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let ret = pthread_create(
            &thread,
            nil,
            { argument in
                let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
                box.body()
                return nil
            },
            box
        )
        guard ret == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            return ret
        }
        pthread_detach(thread)
        return 0
    }
}
