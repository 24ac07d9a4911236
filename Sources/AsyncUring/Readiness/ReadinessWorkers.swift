internal import CLiburing
import DequeModule
import Glibc
import SystemPackage

/// The epoll driver's worker threads, its counterpart of io_uring's io-wq: file operations
/// that would block (a read the page cache cannot serve, direct I/O, an open, `statx`,
/// `fsync`) run here with their blocking system calls, so that a slow disk, or an open
/// waiting for a FIFO's other end, blocks a worker instead of the ring thread and every
/// connection on it.
///
/// Up to ``maximumThreads`` threads, started when an operation finds none idle and kept for
/// the ring's life; the two eventfds are made with the ring. A finished operation's
/// completion is queued here and the ring thread is woken through ``wakeDescriptor`` (an
/// eventfd in the ring's epoll set), where ``takeCompletions(_:)`` collects it. An operation
/// on a worker cannot be cancelled (io-wq interrupts its blocked worker; a user-space thread
/// cannot be, safely): it completes when its system call returns.
///
/// Guarded by: `state`'s lock; `taken` by the ring thread; the descriptors are written from
/// any thread.
final class ReadinessWorkers: @unchecked Sendable {
    struct Completion {
        var operation: ReadinessOperation
        var result: Int32
    }

    private struct State {
        /// nil asks a worker to exit.
        var jobs = Deque<ReadinessOperation?>()
        var completions: [Completion] = []
        var threads = 0
        /// Workers waiting for a job that no queued job is promised to yet.
        var idle = 0
        /// Queued jobs promised to no worker (every thread was busy): the next worker to
        /// finish takes one instead of counting as idle.
        var unpromised = 0
        /// `stop()` closed the descriptors.
        var isClosed = false
    }

    /// Threads per ring at most. An operation that blocks for good (an open of a FIFO whose
    /// other end never comes) holds one; past this many, operations queue for the next
    /// worker to finish.
    static let maximumThreads = 16

    /// Readable once completions are queued (an eventfd, nonblocking, close-on-exec).
    let wakeDescriptor: Int32
    /// Counts queued jobs (an eventfd in semaphore mode): idle workers block reading it.
    private let jobSignal: Int32
    private let state = Locked(State())
    /// The completions being posted, swapped with `state`'s: ring thread only.
    private var taken: [Completion] = []

    init() throws(RingError) {
        let wake = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
        guard wake >= 0 else { throw RingError(operation: "eventfd", errno: Errno(rawValue: errno)) }
        let jobs = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_SEMAPHORE))
        guard jobs >= 0 else {
            let error = RingError(operation: "eventfd", errno: Errno(rawValue: errno))
            close(wake)
            throw error
        }
        wakeDescriptor = wake
        jobSignal = jobs
    }

    deinit {
        // Every worker holds this object while it runs: none is left to use these.
        if !state.withLock({ $0.isClosed }) { closeDescriptors() }
    }

    /// Queues `operation` for a worker, starting one when none is idle. Ring thread only.
    /// - Returns: false when no worker runs and none could be started (the caller carries the
    ///   operation out itself).
    func submit(_ operation: ReadinessOperation) -> Bool {
        // Each job is promised to an idle worker, else to a new one, so that a job never
        // queues behind one that blocks while a thread could still be started for it.
        let startsThread = state.withLock { state in
            state.jobs.append(operation)
            if state.idle > 0 {
                state.idle -= 1
                return false
            }
            guard state.threads < Self.maximumThreads else {
                state.unpromised += 1
                return false
            }
            state.threads += 1
            return true
        }
        if startsThread && !RingThread.tryStart({ [self] in run() }) {
            let isStranded = state.withLock { state in
                state.threads -= 1
                // With no worker left, nobody takes the job just queued (only this thread
                // queues): take it back.
                guard state.threads == 0 else {
                    state.unpromised += 1
                    return false
                }
                state.jobs.removeLast()
                return true
            }
            if isStranded { return false }
        }
        signal(jobSignal)
        return true
    }

    /// Moves the completions queued since the last call into `body`.
    func takeCompletions(_ body: (Completion) -> Void) {
        var count: UInt64 = 0
        _ = read(wakeDescriptor, &count, MemoryLayout<UInt64>.size)
        state.withLock { swap(&$0.completions, &taken) }
        for completion in taken { body(completion) }
        taken.removeAll(keepingCapacity: true)
    }

    /// Asks every worker to exit once the jobs before are done, and waits for those that
    /// are idle (all of them when nothing is in flight, as when a ring ends), at most a
    /// second: once none runs, the descriptors are closed here, so that the ring's end
    /// leaves none open; a worker still blocked in a call keeps them until it returns.
    func stop() {
        let threads = state.withLock { state in
            for _ in 0..<state.threads { state.jobs.append(nil) }
            return state.threads
        }
        for _ in 0..<threads { signal(jobSignal) }
        for _ in 0..<20_000 where state.withLock({ $0.threads }) > 0 { usleep(50) }
        let isClosing = state.withLock { state in
            state.isClosed = state.threads == 0
            return state.isClosed
        }
        if isClosing { closeDescriptors() }
    }

    private func closeDescriptors() {
        close(wakeDescriptor)
        close(jobSignal)
    }

    private func run() {
        _ = cliburing_set_thread_name("uring-file")
        while true {
            var count: UInt64 = 0
            while read(jobSignal, &count, MemoryLayout<UInt64>.size) < 0 && errno == EINTR {}
            guard case .some(.some(let operation)) = state.withLock({ $0.jobs.popFirst() }) else {
                // The last use of a descriptor: `stop()` closes them once no thread runs.
                state.withLock { $0.threads -= 1 }
                return
            }
            let result = operation.performBlocking()
            state.withLock { state in
                state.completions.append(Completion(operation: operation, result: result))
                if state.unpromised > 0 { state.unpromised -= 1 } else { state.idle += 1 }
            }
            signal(wakeDescriptor)
        }
    }

    private func signal(_ descriptor: Int32) {
        var one: UInt64 = 1
        _ = write(descriptor, &one, MemoryLayout<UInt64>.size)
    }
}
