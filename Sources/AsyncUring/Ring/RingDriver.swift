import Glibc
import Logging

/// What runs a ring's requests: the kernel's io_uring, or the readiness fallback on epoll
/// for hosts that refuse io_uring (container seccomp profiles, `kernel.io_uring_disabled`).
///
/// Both give the layers above the same completion semantics: the fallback takes the same
/// prepared submission entries and posts the same completion entries, carrying each request
/// out with a non-blocking system call once epoll reports its descriptor ready (see
/// `ReadinessRing`).
public enum RingDriver: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// io_uring: requests run in the kernel, completions are reaped in batches.
    case ioUring = "io_uring"
    /// epoll plus non-blocking system calls, run by the ring thread.
    case epoll

    public var description: String { rawValue }

    /// The environment variable that forces a driver for rings whose configuration leaves
    /// the choice automatic: `io_uring` or `epoll`.
    public static let environmentVariable = "ASYNC_URING_DRIVER"

    /// Why this process runs on the fallback: the io_uring set-up refusal that made the
    /// automatic choice pick epoll; nil while no ring fell back.
    public static var fallbackReason: RingError? {
        selection.withLock { $0.fallbackReason }
    }

    /// The driver forced by ``environmentVariable``, if it names one.
    /// - Throws: ``RingError`` with `EINVAL` when it is set to anything else.
    static func forcedByEnvironment() throws(RingError) -> RingDriver? {
        guard let value = getenv(environmentVariable).map({ String(cString: $0) }), !value.isEmpty else { return nil }
        guard let driver = RingDriver(rawValue: value) else {
            throw RingError(
                operation: "ring driver",
                errno: .invalidArgument,
                detail: "\(environmentVariable)=\(value) is not io_uring or epoll"
            )
        }
        return driver
    }

    /// Whether an io_uring set-up failure means "not allowed or not supported here" (the
    /// automatic choice falls back then), not a shortage (`ENOMEM`, `EMFILE`: those throw).
    /// `EINVAL` arrives here only after every set-up flag combination was refused;
    /// `EOPNOTSUPP` when the kernel's io_uring lacks what the runtime needs (see
    /// ``RingProbe/runtimeShortfall``).
    static func isRefusal(_ error: RingError) -> Bool {
        switch error.errno {
        case .notPermitted, .permissionDenied, .noFunction, .invalidArgument, .notSupported: true
        default: false
        }
    }

    /// The driver to set up for a ring configured with `configured`: that one, else the one
    /// the environment forces, else epoll once the process fell back; nil means "try io_uring
    /// and fall back on a refusal".
    static func select(_ configured: RingDriver?) throws(RingError) -> RingDriver? {
        if let configured { return configured }
        if let forced = try forcedByEnvironment() { return forced }
        return selection.withLock { $0.automatic == .epoll ? .epoll : nil }
    }

    /// Records what the automatic choice found; the first fallback is logged at notice level.
    static func recordAutomatic(_ driver: RingDriver, reason: RingError?, logger: Logger) {
        let isFirstFallback = selection.withLock { selection in
            guard selection.automatic != .epoll else { return false }
            selection.automatic = driver
            guard driver == .epoll else { return false }
            selection.fallbackReason = reason
            return true
        }
        guard isFirstFallback, let reason else { return }
        logger.notice(
            "io_uring is refused here; rings run on the epoll readiness driver",
            metadata: ["driver": "\(RingDriver.epoll)", "reason": "\(reason)"]
        )
    }

    /// The process-wide automatic choice, made by the first ring that needs it.
    struct Selection {
        /// The driver rings with an automatic configuration use, once known.
        var automatic: RingDriver?
        var fallbackReason: RingError?
    }

    static let selection = Locked(Selection())
}
