import ArgumentParser
import AsyncUring

/// `--driver io_uring|epoll`: parsed by raw value; ArgumentParser lists both in the help and
/// names them in the error for any other value.
extension RingDriver: ExpressibleByArgument {}

extension RingDriver {
    /// Why io_uring was refused, when this driver is the fallback the automatic choice made.
    var fallbackReasonDescription: String? {
        guard self == .epoll, let reason = RingDriver.fallbackReason else { return nil }
        return "\(reason)"
    }

    /// `io_uring`, `epoll`, or `epoll (io_uring refused: REASON)` for the fallback.
    func description(fallbackReason: String?) -> String {
        guard let fallbackReason else { return description }
        return "\(description) (io_uring refused: \(fallbackReason))"
    }
}
