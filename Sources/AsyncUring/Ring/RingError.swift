import SystemPackage

/// An io_uring instance could not be set up or used.
///
/// Thrown, for example, when the kernel has io_uring disabled
/// (`/proc/sys/kernel/io_uring_disabled`), a seccomp filter blocks it, or `RLIMIT_MEMLOCK`
/// is too small for the rings.
public struct RingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The failing call, e.g. `io_uring_queue_init_params`.
    public var operation: String
    /// The error the kernel reported.
    public var errno: Errno
    /// More context, e.g. which configuration value is invalid.
    public var detail: String?

    public init(operation: String, errno: Errno, detail: String? = nil) {
        self.operation = operation
        self.errno = errno
        self.detail = detail
    }

    public var description: String {
        var text = "\(operation) failed: \(errno.description) (errno \(errno.rawValue))"
        if let detail { text += ": \(detail)" }
        switch errno {
        case .noMemory:
            text += "; RLIMIT_MEMLOCK may be too small for the ring"
        case .noFunction, .permissionDenied, .notPermitted:
            text += "; io_uring may be disabled (sysctl kernel.io_uring_disabled) or blocked by seccomp"
        default:
            break
        }
        return text
    }
}
