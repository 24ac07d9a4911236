internal import CLiburing
import Glibc

#if ASYNC_URING_UNSAFE_CONTINUATION
package typealias OperationContinuation = UnsafeContinuation<Int32, Never>
#else
/// The continuation an operation resumes. `CheckedContinuation` by default; build with
/// `ASYNC_URING_UNSAFE_CONTINUATION=1` in the environment to use `UnsafeContinuation`.
package typealias OperationContinuation = CheckedContinuation<Int32, Never>
#endif

/// The per-operation state object: io_uring's counterpart of an IOCP `OVERLAPPED`.
///
/// It owns everything the kernel reads or writes for one single-shot request (socket
/// address storage, its length, the linked timeout's timespec, the bytes being sent) until
/// the request's completion, and the continuation that completion resumes. A connection
/// keeps one for receiving and one for sending and reuses them, so a steady-state round
/// trip allocates nothing here.
///
/// All properties are guarded by the ring thread.
/// Its ring-thread state is `@exclusivity(unchecked)`: only the ring thread touches it, never
/// through overlapping accesses, and the dynamic checks cost about 2% of an echo round trip.
package final class OperationState: CompletionTarget, @unchecked Sendable {
    @exclusivity(unchecked) var continuation: OperationContinuation?
    /// Bumped on every use, so a late cancellation request for an earlier use is ignored.
    @exclusivity(unchecked) var generation: UInt64 = 0
    @exclusivity(unchecked) var isInFlight = false
    /// Who asked for the request in flight to be cancelled, so that its `-ECANCELED` can be
    /// told apart from a linked timeout's.
    @exclusivity(unchecked) var cancellation = Cancellation.none
    @exclusivity(unchecked) var hasTimeout = false
    /// Keeps what a request points at (a file request's path, iovecs, arrays or statx
    /// buffer; a message's header, vectors and ancillary data) alive until its completion.
    @exclusivity(unchecked) var retainedStorage: Any?

    // SAFETY: one allocation owned by this object, freed in deinit; the object outlives
    // every request that points into it because the ring holds a retained reference until
    // the final completion.
    private let kernelMemory: UnsafeMutableRawPointer
    /// A socket address the kernel reads (connect) or writes (accept).
    let address: UnsafeMutablePointer<sockaddr_storage>
    let addressLength: UnsafeMutablePointer<socklen_t>
    /// The linked timeout's timespec.
    let timeout: UnsafeMutablePointer<__kernel_timespec>
    /// The timespec of a request that is itself a timeout (`IORING_OP_TIMEOUT`).
    let expiry: UnsafeMutablePointer<__kernel_timespec>

    private static let timespecOffset = MemoryLayout<sockaddr_storage>.stride
    private static let lengthOffset = timespecOffset + 2 * MemoryLayout<__kernel_timespec>.stride
    private static let kernelMemorySize = lengthOffset + MemoryLayout<socklen_t>.stride

    package override init() {
        kernelMemory = .allocate(byteCount: Self.kernelMemorySize, alignment: MemoryLayout<sockaddr_storage>.alignment)
        address = kernelMemory.initializeMemory(as: sockaddr_storage.self, repeating: sockaddr_storage(), count: 1)
        timeout = (kernelMemory + Self.timespecOffset)
            .initializeMemory(as: __kernel_timespec.self, repeating: __kernel_timespec(), count: 2)
        expiry = timeout + 1
        addressLength = (kernelMemory + Self.lengthOffset).initializeMemory(as: socklen_t.self, repeating: 0, count: 1)
    }

    deinit {
        precondition(!isInFlight, "an operation state was released while its request is in flight")
        kernelMemory.deallocate()
    }

    enum Cancellation {
        case none
        /// The awaiting task was cancelled: the call throws `CancellationError`.
        case byTask
        /// The request's owner cancelled it (a connection closing): the call sees
        /// `-ECANCELED`.
        case byOwner
    }

    override func complete(result: Int32, flags: UInt32, isFinal: Bool) {
        isInFlight = false
        guard let continuation = continuation.take() else {
            preconditionFailure("a completion arrived for an operation nobody awaits")
        }
        continuation.resume(returning: result)
    }
}
