import SystemPackage

/// A file operation failed.
///
/// Carries the operation, the `Errno` the kernel reported and the path when there is one,
/// e.g. `open failed: No such file or directory (errno 2): /srv/missing.txt`.
public struct FileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was being done.
    public enum Operation: String, Hashable, Sendable {
        case open
        case read
        case write
        case synchronize
        case status
        case close
    }

    public var operation: Operation
    public var errno: Errno
    /// The path being opened or examined, if any.
    public var path: String?

    public init(_ operation: Operation, _ errno: Errno, path: String? = nil) {
        self.operation = operation
        self.errno = errno
        self.path = path
    }

    public var description: String {
        var text = "\(operation.rawValue) failed: \(errno.description) (errno \(errno.rawValue))"
        if let path { text += ": \(path)" }
        return text
    }

    /// True when the file does not exist (`ENOENT`).
    public var isNotFound: Bool {
        errno == .noSuchFileOrDirectory
    }
}
