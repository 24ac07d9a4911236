internal import CLiburing
import Glibc
import SystemPackage

/// Copying a file region to a socket without passing it through user space: `splice(2)`
/// from the file into a pipe, then from the pipe into the socket (the pages move by
/// reference, the bytes are never copied into the process). Linux's `sendfile` does the same
/// inside the kernel; io_uring has no sendfile, so this is its equivalent.
///
/// Each call makes its own pipe (`pipe2` with `O_CLOEXEC`, grown to 1 MiB when the system
/// allows) and closes it when done, so a call that failed or was cancelled with bytes left
/// in the pipe can never leave them for the next one; the pipe costs two descriptors for the
/// duration of the call and three system calls.
extension Ring {
    /// How a splice ended: the bytes that reached the output, and the error that stopped it,
    /// with the side it came from.
    package struct SpliceOutcome: Sendable {
        package var sent: Int
        package var failure: (errno: Errno, isInput: Bool)?
    }

    /// Copies `count` bytes of `input` from `offset` to the socket `output`:
    /// `IORING_OP_SPLICE` from the file into a pipe, up to the pipe's capacity, then
    /// `IORING_OP_SPLICE` from the pipe into the socket until the pipe is empty (a short
    /// splice is followed by one for the rest), again until `count` bytes went or the file
    /// ended. io_uring runs every splice on its worker threads (io-wq), where a splice into a
    /// full socket waits for room; cancelling the task interrupts it (`CancellationError`).
    ///
    /// `isAbandoned` is asked before every request: an owner that cancels the operation
    /// (``cancel(_:)``) reaches only a request in flight, so one closing between two requests
    /// says so there; the copy then ends with `ECANCELED`.
    ///
    /// - Returns: the bytes sent, fewer than `count` when the file ended first, and the
    ///   error that stopped the copy, if one did.
    package func splice(
        from input: Int32,
        offset: UInt64,
        count: Int,
        to output: Int32,
        _ operation: OperationState,
        isAbandoned: () -> Bool
    ) async throws -> SpliceOutcome {
        var fds: [Int32] = [-1, -1]
        let capacity = Int(cliburing_splice_pipe(&fds, Self.splicePipeCapacity))
        guard capacity > 0 else { return SpliceOutcome(sent: 0, failure: (Errno(rawValue: Int32(-capacity)), true)) }
        defer {
            SocketSyscalls.close(fds[0])
            SocketSyscalls.close(fds[1])
        }
        let (pipeOut, pipeIn) = (fds[0], fds[1])
        var sent = 0
        while sent < count {
            if isAbandoned() { return SpliceOutcome(sent: sent, failure: (.canceled, false)) }
            let chunk = UInt32(min(count - sent, capacity))
            let filled = try await perform(operation, timeout: nil) { [sent] sqe in
                io_uring_prep_splice(sqe, input, Int64(offset) + Int64(sent), pipeIn, -1, chunk, Self.spliceMove)
            }
            if filled < 0 { return SpliceOutcome(sent: sent, failure: (Errno(rawValue: -filled), true)) }
            if filled == 0 { break }
            var drained = 0
            while drained < Int(filled) {
                if isAbandoned() { return SpliceOutcome(sent: sent + drained, failure: (.canceled, false)) }
                let left = UInt32(Int(filled) - drained)
                let moved = try await perform(operation, timeout: nil) { sqe in
                    io_uring_prep_splice(sqe, pipeOut, -1, output, -1, left, Self.spliceMove)
                }
                if moved < 0 { return SpliceOutcome(sent: sent + drained, failure: (Errno(rawValue: -moved), false)) }
                // A socket that takes nothing is gone.
                if moved == 0 { return SpliceOutcome(sent: sent + drained, failure: (.brokenPipe, false)) }
                drained += Int(moved)
            }
            sent += drained
        }
        return SpliceOutcome(sent: sent, failure: nil)
    }

    /// SPLICE_F_MOVE: a hint to move pages rather than copy them.
    private static let spliceMove: UInt32 = 1
    /// The pipe size asked for: 1 MiB, the default `/proc/sys/fs/pipe-max-size`.
    private static let splicePipeCapacity: Int32 = 1 << 20
}
