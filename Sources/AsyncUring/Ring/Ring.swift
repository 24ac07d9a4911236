internal import CLiburing
import DequeModule
import Dispatch
import Glibc
import Logging
import Synchronization

/// One io_uring instance with its own thread: the thread submits requests, reaps their
/// completions in batches and runs Swift jobs, so a task that prefers this ring as its
/// `TaskExecutor` continues on the ring thread after every `await`, with no thread hop.
///
/// Create rings through a ``RingGroup``; ``RingGroup/shared`` starts one ring per CPU the
/// process may run on, lazily, on first use.
public final class Ring: TaskExecutor, @unchecked Sendable {
    /// Position of this ring in its group.
    public let index: Int
    public let configuration: RingConfiguration
    /// The set-up flags the kernel accepted. Written once before `init` returns.
    public private(set) var setupFlags: RingSetupFlags = []
    /// Whether the ring's fd is registered (saves an fd lookup per `io_uring_enter`).
    public private(set) var hasRegisteredRingFD = false
    /// What runs this ring's requests. Written once before `init` returns.
    public private(set) var driver = RingDriver.ioUring
    let logger: Logger

    // Guarded by: ring thread. Unchecked exclusivity: only the ring thread touches these,
    // never through overlapping accesses, and the dynamic checks cost about 2% of a round trip.
    @exclusivity(unchecked) var raw: RawRing!
    @exclusivity(unchecked) var localWork = Deque<Work>()
    /// Remote work taken over from `remote`, swapped with its queue so neither reallocates.
    @exclusivity(unchecked) var takenWork: [Work] = []
    var wakeBuffer = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
    @exclusivity(unchecked) var needsWakeRead = true
    /// Requests in flight that a task waits for (not counting wake-ups and cancels).
    @exclusivity(unchecked) var inFlightCount = 0
    /// Running, stopping or ended; see ``RingLifecycle``.
    @exclusivity(unchecked) var lifecycle = RingLifecycle()
    /// Set while completions are handed to their targets: nothing may be submitted then.
    @exclusivity(unchecked) var isReaping = false
    /// Operation states for one-off requests (``nop()``), reused.
    @exclusivity(unchecked) var operationPool: [OperationState] = []
    /// The provided buffer ring receives pick their buffers from, made on first use.
    @exclusivity(unchecked) var providedBuffers: ProvidedBuffers?
    /// See ``RingStatistics``; `operationsInFlight` and the overflow count are read live.
    @exclusivity(unchecked) var counters = RingStatistics()
    /// Multishot receives that ended with `ENOBUFS`, oldest first.
    @exclusivity(unchecked) var starvedReceives = Deque<any StarvableReceive>()
    /// The serial number of the ``RegisteredBuffers`` set registered with the ring, if any.
    @exclusivity(unchecked) var registeredFileBuffers: UInt64?
    /// Send queues with bytes to submit before the ring next enters the kernel.
    @exclusivity(unchecked) var scheduledSends: [SendQueue] = []

    /// The ring thread's `pthread_t` while the ring runs, 0 once it ended: glibc reuses a
    /// finished thread's identity, and a later thread with it is not this ring.
    private let threadIdentity = Atomic<UInt>(0)
    // Set once on the ring thread before `init` returns; closed by teardown under `remote`'s
    // lock, where wake-ups are written.
    var eventFD: Int32 = -1

    // Cross-thread state.
    let remote = Locked(RemoteState())
    let isSleeping = Atomic<Bool>(false)

    struct RemoteState: ~Copyable {
        var work: [Work] = []
        var isTerminated = false
        var terminationWaiters: [CheckedContinuation<Void, Never>] = []
    }

    enum Work: @unchecked Sendable {
        case job(UnownedJob)
        case closure(() -> Void)
    }

    /// Reserved `user_data` values; operation states are heap pointers, never 0 or 1.
    static let ignoredUserData: UInt64 = 0
    static let wakeUserData: UInt64 = 1

    /// Starts a ring thread and sets its ring up there.
    /// - Throws: ``RingError`` when the kernel refuses io_uring.
    init(index: Int, configuration: RingConfiguration, logger: Logger) throws(RingError) {
        self.index = index
        self.configuration = configuration
        self.logger = logger
        let started = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var setupError: RingError?
        RingThread.start { [self] in
            do throws(RingError) {
                try setUpOnRingThread()
            } catch {
                setupError = error
                started.signal()
                return
            }
            becomeCurrent()
            started.signal()
            runLoop()
            tearDownOnRingThread()
            resignCurrent()
        }
        started.wait()
        if let setupError { throw setupError }
    }

    deinit {
        wakeBuffer.deallocate()
    }

    /// The counters with the live values filled in (ring thread, or after the ring ended).
    var currentStatistics: RingStatistics {
        var statistics = counters
        statistics.operationsInFlight = inFlightCount
        statistics.completionQueueOverflows = raw.map { Int($0.completionQueueOverflows) } ?? 0
        return statistics
    }

    /// Whether the caller runs on this ring's thread, while the ring runs.
    public var isCurrentThread: Bool { pthread_self() == threadIdentity.load(ordering: .relaxed) }

    /// Set once ``shutdown()`` started: operations are refused, requests are cancelled.
    package var isStopping: Bool { lifecycle.refusesOperations }

    /// Whether the ring thread has ended after ``shutdown()``.
    public var isTerminated: Bool { remote.withLock { $0.isTerminated } }

    private func setUpOnRingThread() throws(RingError) {
        _ = cliburing_set_thread_name("uring-\(index)")
        let raw = try RawRing(configuration: configuration, logger: logger)
        // Non-blocking: the epoll driver reads it only after a write made it readable, but a
        // read must never block the ring thread.
        let fd = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
        guard fd >= 0 else { throw RingError(operation: "eventfd", errno: .init(rawValue: errno)) }
        self.raw = raw
        self.eventFD = fd
        threadIdentity.store(pthread_self(), ordering: .relaxed)
        self.setupFlags = raw.setupFlags
        self.hasRegisteredRingFD = raw.hasRegisteredRingFD
        self.driver = raw.driver
        if raw.driver == .ioUring && !raw.setupFlags.contains(.deferTaskrun) {
            logger.notice("io_uring set-up fell back", metadata: ["ring": "\(index)", "flags": "\(raw.setupFlags)"])
        }
        logger.debug(
            "ring started",
            metadata: ["ring": "\(index)", "driver": "\(raw.driver)", "flags": "\(raw.setupFlags)"]
        )
    }

    func tearDownOnRingThread() {
        // From here on this thread is no longer the ring's: work scheduled now (also by the
        // waiters resumed below, whose tasks may prefer this ring) runs elsewhere.
        threadIdentity.store(0, ordering: .relaxed)
        providedBuffers?.unregister()
        providedBuffers = nil
        raw = nil  // io_uring_queue_exit: the kernel drops what is left (the wake-up read)
        let (leftover, waiters) = remote.withLock { state in
            state.isTerminated = true
            Glibc.close(eventFD)
            defer {
                state.work = []
                state.terminationWaiters = []
            }
            return (state.work, state.terminationWaiters)
        }
        leftover.forEach(Self.runElsewhere)
        for waiter in waiters { waiter.resume() }
        logger.debug("ring stopped", metadata: ["ring": "\(index)"])
    }

    // MARK: Submission

    /// A free submission entry; flushes the queue when it is full.
    func nextSubmission() -> UnsafeMutablePointer<io_uring_sqe> {
        assert(!isReaping, "a completion handler submitted a request; it must use execute(_:)")
        return raw.nextSubmission(reap: reapCompletions)
    }

    /// Makes room for `count` consecutive entries (a linked chain must not be split by a
    /// flush in the middle).
    func reserveSubmissions(_ count: UInt32) {
        if raw.submissionSpaceLeft < count { raw.submit(wait: false) }
    }

    /// Points `sqe` at `target` and takes the reference the completion gives back.
    ///
    /// While the ring stops, the request is cancelled right after it: the cancel-all request
    /// did not see it, and a request nobody cancels (a send to a peer that does not read)
    /// would keep the ring from ending.
    func track(_ sqe: UnsafeMutablePointer<io_uring_sqe>, _ target: CompletionTarget) {
        io_uring_sqe_set_data(sqe, Unmanaged.passRetained(target).toOpaque())
        inFlightCount += 1
        counters.submissions &+= 1
        if lifecycle.cancelsNewRequests { submitCancel(of: target) }
    }

    /// Asks the kernel to cancel the request whose `user_data` points at `target`. Asked
    /// from a completion handler, the request is submitted right after the completions are
    /// reaped.
    func submitCancel(of target: CompletionTarget) {
        if isReaping { return execute { [self] in submitCancel(of: target) } }
        counters.cancellations &+= 1
        let sqe = nextSubmission()
        io_uring_prep_cancel(sqe, Unmanaged.passUnretained(target).toOpaque(), 0)
        io_uring_sqe_set_data64(sqe, Self.ignoredUserData)
        sqe.pointee.flags |= cliburing_iosqe_cqe_skip_success
    }

    // MARK: Shutdown

    /// Stops the ring: cancels every request in flight (awaiting tasks resume, with
    /// `CancellationError`), runs what is queued, ends the thread and frees the ring.
    /// Returns once the thread has ended. Calling it again waits for the same end.
    public func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let alreadyEnded = remote.withLock { state in
                if state.isTerminated { return true }
                state.terminationWaiters.append(continuation)
                return false
            }
            if alreadyEnded { return continuation.resume() }
            execute { [self] in beginShutdown() }
        }
    }

    private func beginShutdown() {
        guard lifecycle.shutdownRequested() == .cancelEverything else { return }
        // Starved receives have no request in the kernel: wake their waiters directly.
        while let receive = starvedReceives.popFirst() { receive.wake() }
        let sqe = nextSubmission()
        io_uring_prep_cancel64(sqe, 0, Int32(IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL))
        io_uring_sqe_set_data64(sqe, Self.ignoredUserData)
    }
}
