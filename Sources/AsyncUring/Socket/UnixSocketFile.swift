internal import CLiburing
import Glibc
import SystemPackage

/// The file a Unix domain listener bound to a path made: the synchronous calls a daemon
/// needs around it (clear a stale one, set its mode, remove it when done). See unix(7):
/// the file outlives the socket, so a daemon that crashed leaves it behind and the next
/// bind fails with `EADDRINUSE`.
package struct UnixSocketFile: Sendable {
    package let path: String
    /// The file's identity when it was made, so that removal never takes a file that
    /// replaced it (another listener's, after someone removed ours).
    private let device: UInt64
    private let inode: UInt64

    /// What ``removeStale(at:)`` found at the path.
    package enum StaleCheck: Equatable, Sendable {
        case absent
        /// A socket nobody listens on (connecting was refused): it was removed.
        case removed
        /// Not a socket (a regular file, a directory...): left in place.
        case notASocket
        /// A socket someone listens on (or that refused our probe otherwise): left in place.
        case inUse(Errno?)
    }

    /// Removes the socket file at `path` when it is stale: it is a socket and connecting to
    /// it is refused (`ECONNREFUSED`: nobody listens). Anything else stays. The probe
    /// connects without blocking, so a listener with a full backlog (`EAGAIN`) counts as
    /// listening. Between the probe and the removal another process could begin listening
    /// there; a daemon's own start-up lock is the cure for that, as for any pid file.
    package static func removeStale(at path: String) throws(Errno) -> StaleCheck {
        guard let status = try fileStatus(path) else { return .absent }
        guard status.st_mode & S_IFMT == S_IFSOCK else { return .notASocket }
        guard let address = RawSocketAddress(unixPath: path) else { throw .invalidArgument }
        let probe = try retrying {
            socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue), 0)
        }
        defer { _ = Glibc.close(probe) }
        let refused: Errno?
        do throws(Errno) {
            _ = try retrying { address.withSockaddr { Glibc.connect(probe, $0, $1) } }
            refused = nil
        } catch {
            refused = error
        }
        if refused == .noSuchFileOrDirectory { return .absent }  // removed meanwhile
        guard refused == .connectionRefused else { return .inUse(refused) }
        if unlink(path) != 0, errno != ENOENT { throw Errno(rawValue: errno) }
        return .removed
    }

    /// Remembers the socket file a bind just made at `path`.
    package init(boundAt path: String) throws(Errno) {
        guard let status = try Self.fileStatus(path) else { throw .noSuchFileOrDirectory }
        self.path = path
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
    }

    /// Sets the file's mode. Call it between bind(2) and listen(2): until listen, connecting
    /// is refused, so no peer gets in under the mode the umask gave.
    package func setPermissions(_ mode: UInt32) throws(Errno) {
        _ = try Self.retrying { chmod(path, mode_t(mode)) }
    }

    /// Removes the file if it is still the one the bind made; errors are ignored (the
    /// directory may be gone, or read-only by now).
    package func removeIfUnchanged() {
        guard let status = try? Self.fileStatus(path), UInt64(status.st_dev) == device,
            UInt64(status.st_ino) == inode
        else { return }
        _ = unlink(path)
    }

    /// `lstat(2)`; nil when nothing is at the path.
    private static func fileStatus(_ path: String) throws(Errno) -> stat? {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            if errno == ENOENT { return nil }
            throw Errno(rawValue: errno)
        }
        return status
    }

    private static func retrying(_ call: () -> Int32) throws(Errno) -> Int32 {
        while true {
            let ret = call()
            if ret >= 0 { return ret }
            if errno != EINTR { throw Errno(rawValue: errno) }
        }
    }
}
