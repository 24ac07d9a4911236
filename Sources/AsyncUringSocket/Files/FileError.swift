import SystemPackage

/// A file operation failed.
///
/// Carries the operation, the `Errno` the kernel reported and the path when there is one,
/// e.g. `open failed: No such file or directory (errno 2): /srv/missing.txt`, and what the
/// kernel's errno alone does not say when there is more to say, e.g. which alignment direct
/// I/O wanted.
public struct FileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was being done.
    public enum Operation: String, Hashable, Sendable {
        case open
        case read
        case write
        case synchronize
        case status
        case close
        /// Copying a file region to a connection (``TCPConnection/send(_:range:)``).
        case copy
    }

    public var operation: Operation
    public var errno: Errno
    /// The path being opened or examined, if any.
    public var path: String?
    /// What went wrong beyond the errno, e.g. `direct I/O needs offsets and lengths in
    /// multiples of 512 bytes: offset 100`.
    public var detail: String?

    public init(_ operation: Operation, _ errno: Errno, path: String? = nil, detail: String? = nil) {
        self.operation = operation
        self.errno = errno
        self.path = path
        self.detail = detail
    }

    public var description: String {
        var text = "\(operation.rawValue) failed: \(errno.description) (errno \(errno.rawValue))"
        if let path { text += ": \(path)" }
        if let detail { text += " (\(detail))" }
        return text
    }

    /// True when the file does not exist (`ENOENT`).
    public var isNotFound: Bool {
        errno == .noSuchFileOrDirectory
    }
}
