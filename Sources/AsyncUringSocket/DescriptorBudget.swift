import AsyncUring
import Glibc

/// How many connections a server may hold before the process comes near its descriptor
/// limit (the soft `RLIMIT_NOFILE`).
///
/// A Swift process must never reach that limit: once `open` fails with `EMFILE`,
/// libdispatch's worker pool monitor (behind Swift's global executor) traps when it cannot
/// read /proc, and the process dies with SIGILL. So a server's default connection limit
/// leaves a reserve:
/// - the descriptors the process has open when the server is made (the rings, the listener,
///   the standard streams, whatever the program opened before);
/// - no accept queue: ``TCPServer`` takes a connection slot before each accept and accepts
///   one connection per request, so the kernel never accepts one the budget has no room for
///   (a multishot accept would take every connection waiting in the listen backlog at once);
/// - ``runtimeReserve`` for what the process opens later: Dispatch's epoll, eventfd and
///   timer descriptors (opened lazily, on the first `Task.sleep` say), its /proc reads, name
///   resolution (/etc files and a socket per lookup), log files, and a handler's own short
///   lived files. A few dozen at most; 64 leaves room to spare and is nothing beside the
///   usual limits (1024 soft, or the hard limit a server raises it to).
package enum DescriptorBudget {
    /// Descriptors kept free beyond those open at start.
    package static let runtimeReserve = 64

    /// The connection limit for a process allowed `descriptorLimit` descriptors with
    /// `openDescriptors` open: what is left less ``runtimeReserve``, or less a quarter of what
    /// is left when that is small, so a process under a tiny limit still serves some.
    package static func maxConnections(descriptorLimit: Int, openDescriptors: Int) -> Int {
        let left = max(0, descriptorLimit - openDescriptors)
        return left - min(runtimeReserve, left / 4)
    }

    /// ``maxConnections(descriptorLimit:openDescriptors:)`` for this process, now.
    package static func maxConnectionsNow() -> Int {
        // Without /proc, suppose as many descriptors open as the runtime reserve.
        maxConnections(
            descriptorLimit: descriptorLimit(),
            openDescriptors: SocketSyscalls.openDescriptorCount() ?? runtimeReserve
        )
    }

    /// The soft `RLIMIT_NOFILE`.
    package static func descriptorLimit() -> Int {
        var limit = rlimit()
        // getrlimit fails only for a bad resource or pointer.
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return Int.max }
        return limit.rlim_cur == rlim_t.max ? Int.max : Int(clamping: limit.rlim_cur)  // RLIM_INFINITY
    }
}
