import AsyncUring
import Glibc
import Synchronization
import SystemPackage

/// An open file whose operations run on a ring: positional reads and writes into the
/// caller's arrays, into aligned buffers (direct I/O) and registered buffers, vectored reads
/// and writes, `fsync`, `statx` and close, each one io_uring request; and the source of
/// ``TCPConnection/send(_:range:)``, which splices a region to a connection. See <doc:FilesOnTheRing>.
///
/// ```swift
/// let file = try await RingFile.open("/tmp/greeting.txt", mode: .readWrite, options: [.create, .truncate])
/// try await file.write(Array("Hello, ring!".utf8), at: 0)
/// var buffer = [UInt8](repeating: 0, count: 64)
/// let count = try await file.read(into: &buffer, at: 7)  // 5: "ring!", then end of file
/// try await file.close()
/// ```
///
/// Reads and writes take explicit offsets (the file position is never used), so any number
/// of tasks may use one file at once. Every call returns only after the kernel's completion
/// for it: a cancelled call never leaves the kernel writing into an array its caller got
/// back. A read whose pages are cached completes inline, in the system call that submitted
/// it; one that must wait for the disk completes later (from the page's wait queue, the
/// device's interrupt, or the kernel's io-wq worker threads), never blocking the ring thread:
/// <doc:FilesOnTheRing> says when each happens.
/// On the epoll driver (where io_uring is refused) file operations are system calls on the
/// ring thread, which they block while the disk works.
///
/// A file dropped without ``close()`` is closed by its ring, once no request on it is left.
public final class RingFile: Sendable {
    /// The ring this file's requests run on.
    public let ring: Ring
    /// The path the file was opened with.
    public let path: String
    /// The alignment reads and writes need, for a file opened with
    /// ``OpenOptions/direct``; nil otherwise.
    public let directIOAlignment: DirectIOAlignment?
    let descriptor: SocketDescriptor
    let isClosedFlag = Atomic<Bool>(false)

    var fd: Int32 { descriptor.fd }

    private init(fd: Int32, path: String, ring: Ring, directIOAlignment: DirectIOAlignment?) {
        self.ring = ring
        self.path = path
        self.directIOAlignment = directIOAlignment
        descriptor = SocketDescriptor(fd, ring: ring)
    }

    deinit {
        guard !isClosedFlag.load(ordering: .acquiring) else { return }
        // No call is in flight (calls retain the file); after the ring ended this runs on
        // the releasing thread and closes at once.
        ring.execute { [descriptor] in descriptor.closeWhenIdle() }
    }

    /// Whether ``close()`` was called.
    public var isClosed: Bool { isClosedFlag.load(ordering: .acquiring) }

    /// Opens (or creates) the file at `path`, relative to the working directory.
    ///
    /// The corresponding io_uring operation is `IORING_OP_OPENAT`. The descriptor is
    /// close-on-exec.
    ///
    /// - Parameters:
    ///   - path: The file's path.
    ///   - mode: Reading, writing or both.
    ///   - options: `O_CREAT`, `O_TRUNC` and the like.
    ///   - permissions: The permission bits of a file created (less the umask).
    ///   - ring: The ring to run the file's requests on; by default the caller's ring, else
    ///     the next of `RingGroup.shared`.
    /// - Returns: The open file.
    /// With ``OpenOptions/direct``, a `statx` request (`IORING_OP_STATX`) follows the open to
    /// learn ``directIOAlignment``.
    ///
    /// - Throws: ``FileError`` (`ENOENT` for a missing file without `.create`; `EINVAL`
    ///   with ``OpenOptions/direct`` on a file system without direct I/O),
    ///   `CancellationError`.
    public static func open(
        _ path: String,
        mode: AccessMode = .readOnly,
        options: OpenOptions = [],
        permissions: UInt32 = 0o644,
        ring: Ring? = nil
    ) async throws -> RingFile {
        let ring = try ring ?? RingGroup.shared.current ?? RingGroup.shared.next()
        let flags = mode.rawValue | options.rawValue
        let isDirect = options.contains(.direct)
        let result = try await ring.run { () async throws -> Result<(Int32, DirectIOAlignment?), Errno> in
            try await ring.withPooledOperation { operation in
                switch try await ring.open(path, flags: flags, mode: permissions, operation) {
                case .failure(let error): return .failure(error)
                case .success(let fd) where !isDirect: return .success((Int32(fd), nil))
                case .success(let fd):
                    // Failing to learn the alignment is no reason to fail the open.
                    let status = try? await ring.status(of: Int32(fd), path: nil, operation).get()
                    return .success((Int32(fd), DirectIOAlignment(status)))
                }
            }
        }
        switch result {
        case .success(let (fd, alignment)):
            return RingFile(fd: fd, path: path, ring: ring, directIOAlignment: alignment)
        case .failure(let error) where error == .invalidArgument && isDirect:
            throw FileError(.open, error, path: path, detail: "the file system may not support direct I/O (O_DIRECT)")
        case .failure(let error):
            throw FileError(.open, error, path: path)
        }
    }

    /// Runs one call on the ring thread, counted in flight so that ``close()`` waits for
    /// it; a failure becomes a ``FileError``.
    func perform(
        _ call: FileError.Operation,
        _ request: @escaping @Sendable (Ring, Int32, OperationState) async throws -> IOResult
    ) async throws -> Int {
        try await ring.run { () async throws -> Int in
            guard !isClosedFlag.load(ordering: .acquiring) else {
                throw FileError(call, .badFileDescriptor, path: path)
            }
            let result = try await descriptor.counting { () async throws -> IOResult in
                try await ring.withPooledOperation { operation in try await request(ring, fd, operation) }
            }
            switch result {
            case .success(let count): return count
            case .failure(let error) where error == .invalidArgument && directIOAlignment != nil:
                throw FileError(call, error, path: path, detail: directIOAlignment!.requirement)
            case .failure(let error): throw FileError(call, error, path: path)
            }
        }
    }

    /// A file offset as the kernel takes it; negative offsets are refused.
    static func kernelOffset(_ offset: Int64, for call: FileError.Operation) throws(FileError) -> UInt64 {
        guard offset >= 0 else { throw FileError(call, .invalidArgument) }
        return UInt64(offset)
    }
}
