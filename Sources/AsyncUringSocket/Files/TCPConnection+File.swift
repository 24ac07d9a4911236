import AsyncUring
import SystemPackage

extension TCPConnection {
    /// Sends the bytes of `file` in `range` without passing them through user space, after
    /// the bytes sent before: a `sendfile` equivalent for static content.
    ///
    /// The corresponding io_uring operation is `IORING_OP_SPLICE`, twice per chunk: from the
    /// file into a pipe (up to the pipe's capacity, 1 MiB where the system allows), then
    /// from the pipe into the socket, repeated after short splices until the pipe is empty,
    /// chunk after chunk. The page cache's pages move by reference; the bytes are never
    /// copied into the process. Each call makes its own pipe and closes it at the end.
    ///
    /// ```swift
    /// let page = try await RingFile.open("/srv/www/index.html")
    /// let size = try await page.status().size
    /// try await connection.send(Array("HTTP/1.1 200 OK\r\nContent-Length: \(size)\r\n\r\n".utf8))
    /// let sent = try await connection.send(page, range: 0..<size)
    /// ```
    ///
    /// The call first waits until the send queue is empty (so the bytes come after
    /// everything sent before), then returns once the kernel took the last byte. Bytes other
    /// tasks send while it runs may come between its chunks: send from one task at a time.
    /// A range past the end of the file is not an error: the copy stops at the end of the
    /// file, and the count returned says how much went.
    ///
    /// Cancelling the task interrupts the splice in flight and throws `CancellationError`;
    /// some bytes may have been sent, so the stream is then in an unknown state: close the
    /// connection. ``close()`` during a copy ends it with `EBADF`.
    ///
    /// The epoll driver carries out the same splices itself: reading the file into the pipe
    /// blocks its ring thread as its other file operations do, and a splice into a full
    /// socket waits for room like a send.
    ///
    /// - Parameters:
    ///   - file: An open file, on any ring.
    ///   - range: The byte offsets to send.
    /// - Returns: The number of bytes sent: `range.count`, or fewer when the file ends
    ///   before the range does (0 for a range past its end).
    /// - Throws: ``SocketError`` when the peer is gone (`EPIPE`, `ECONNRESET`) or the
    ///   connection was closed (`EBADF`); ``FileError`` (operation `copy`) when the file
    ///   could not be read or was closed (`EBADF`), for a negative offset (`EINVAL`);
    ///   `CancellationError`.
    @discardableResult
    public func send(_ file: RingFile, range: Range<Int64>) async throws -> Int64 {
        guard ring.runsHere(#isolation) else {
            return try await ring.run { try await self.send(file, range: range) }
        }
        guard range.lowerBound >= 0 else {
            throw FileError(.copy, .invalidArgument, path: file.path, detail: "a negative offset")
        }
        try lifecycle.begin(.send)
        defer { end(.send) }
        try await flushQueue()
        if range.isEmpty { return 0 }
        // A descriptor of its own: the file may live on another ring and close meanwhile.
        let input = try await file.duplicateDescriptor(for: .copy)
        defer { SocketSyscalls.close(input) }
        let outcome = try await withMessageOperation { operation in
            try await descriptor.counting {
                try await ring.splice(
                    from: input,
                    offset: UInt64(range.lowerBound),
                    count: Int(range.count),
                    to: fd,
                    operation,
                    isAbandoned: { lifecycle.state != .open }
                )
            }
        }
        switch outcome.failure {
        case nil:
            return Int64(outcome.sent)
        case .some((.canceled, _)):
            // Only close() cancels the copy's requests.
            throw SocketError(.send, .badFileDescriptor, detail: "connection closed")
        case .some((let error, isInput: true)):
            throw FileError(.copy, error, path: file.path)
        case .some((let error, isInput: false)):
            sendFailed(error)
            throw SocketError(.send, error)
        }
    }
}

extension RingFile {
    /// A new close-on-exec descriptor for the file, for requests on another ring; the
    /// caller closes it.
    func duplicateDescriptor(for call: FileError.Operation) async throws -> Int32 {
        try await ring.run { () throws -> Int32 in
            // On the file's ring: a close cannot run between the check and the duplication.
            guard !isClosed else { throw FileError(call, .badFileDescriptor, path: path) }
            do throws(Errno) {
                return try SocketSyscalls.duplicate(fd)
            } catch {
                throw FileError(call, error, path: path)
            }
        }
    }
}
