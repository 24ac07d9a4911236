import AsyncUring
import Glibc
import SystemPackage

extension RingFile {
    /// The file's size, type, permissions and times, as `statx` reports them now.
    ///
    /// The corresponding io_uring operation is `IORING_OP_STATX` (on the descriptor, with
    /// `AT_EMPTY_PATH`): a file removed after it was opened still answers.
    ///
    /// - Returns: The file's status.
    /// - Throws: ``FileError``, `CancellationError`.
    public func status() async throws -> FileStatus {
        nonisolated(unsafe) var status: FileStatus?
        _ = try await perform(.status) { ring, fd, operation in
            try await ring.status(of: fd, path: nil, operation).map { found in
                status = found
                return 0
            }
        }
        return status!
    }

    /// The status of the file at `path` (following symbolic links), without opening it.
    ///
    /// The corresponding io_uring operation is `IORING_OP_STATX`.
    ///
    /// - Parameters:
    ///   - path: The file's path, relative to the working directory.
    ///   - ring: The ring to run the request on; by default the caller's ring, else the next
    ///     of `RingGroup.shared`.
    /// - Returns: The file's status.
    /// - Throws: ``FileError`` (`ENOENT` when nothing is there), `CancellationError`.
    public static func status(ofPath path: String, ring: Ring? = nil) async throws -> FileStatus {
        let ring = try ring ?? RingGroup.shared.current ?? RingGroup.shared.next()
        let result = try await ring.run { () async throws -> Result<FileStatus, Errno> in
            try await ring.withPooledOperation { operation in
                try await ring.status(of: AT_FDCWD, path: path, operation)
            }
        }
        switch result {
        case .success(let status): return status
        case .failure(let error): throw FileError(.status, error, path: path)
        }
    }

    /// Closes the file: waits until the requests of calls in flight ended, then closes the
    /// descriptor. The descriptor is always closed, also when the task is cancelled or the
    /// ring stopped (then with close(2)).
    ///
    /// The corresponding io_uring operation is `IORING_OP_CLOSE`.
    ///
    /// - Throws: ``FileError`` with `EBADF` when the file was already closed; the error
    ///   close(2) reports (the descriptor is closed nonetheless).
    public func close() async throws {
        guard isClosedFlag.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { throw FileError(.close, .badFileDescriptor, path: path) }
        let result: IOResult
        do {
            result = try await ring.run { () async throws -> IOResult in
                await descriptor.waitUntilIdle()
                return try await ring.withPooledOperation { operation in await ring.close(fd, operation) }
            }
        } catch {
            // The ring ended: nothing is in flight any more, so the descriptor closes now.
            ring.execute { [descriptor] in descriptor.closeWhenIdle() }
            return
        }
        if case .failure(let error) = result { throw FileError(.close, error, path: path) }
    }
}
