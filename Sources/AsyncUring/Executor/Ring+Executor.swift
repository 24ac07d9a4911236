internal import CLiburing
import Glibc

/// The ring as a `TaskExecutor`: jobs and closures queued on its thread, the cross-thread
/// wake-up, and the loop that runs them between submitting and reaping.
extension Ring {
    /// Runs `body` on this ring's thread: directly when the caller is nonisolated code
    /// already there (no executor switch: the runtime's async functions run on their caller's
    /// executor), else with the ring as the task's executor preference for the duration of
    /// `body`.
    /// - Throws: `CancellationError` when the ring has stopped.
    package func run<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: sending () async throws -> T
    ) async throws -> T {
        if runsHere(isolation) { return try await body() }
        return try await runHopping(body)
    }

    /// Whether code with `isolation` may use this ring's thread-only state without hopping:
    /// it runs on the ring thread and is not isolated to an actor. An actor that happens to
    /// run on the ring thread resumes wherever the actor runs next, maybe on another thread.
    @inline(__always)
    package func runsHere(_ isolation: (any Actor)?) -> Bool {
        isolation == nil && isCurrentThread
    }

    /// Leaves the caller's actor, if any: the preference applies to nonisolated code only.
    @concurrent
    private func runHopping<T>(_ body: sending () async throws -> T) async throws -> T {
        guard !isTerminated else { throw CancellationError() }
        return try await withTaskExecutorPreference(self) {
            // A ring that ended meanwhile runs its leftover jobs elsewhere.
            guard isCurrentThread else { throw CancellationError() }
            return try await body()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        schedule(.job(UnownedJob(job)))
    }

    /// Runs `body` on the ring thread, later: queued behind the work already queued, it runs
    /// in this loop iteration when called on the ring thread (never inline), else in the
    /// next one (waking the ring). After the ring ended it runs on the caller's thread.
    ///
    /// Completion handlers use it for whatever must submit: nothing is submitted while
    /// completions are reaped (``nextSubmission()`` asserts it).
    package func execute(_ body: @escaping @Sendable () -> Void) {
        schedule(.closure(body))
    }

    func schedule(_ work: Work) {
        if isCurrentThread {
            localWork.append(work)
            return
        }
        let accepted = remote.withLock { state in
            guard !state.isTerminated else { return false }
            state.work.append(work)
            // Written under the lock: teardown closes the eventfd under it, after marking the
            // ring terminated, so a wake-up never reaches a closed or reused descriptor.
            if isSleeping.exchange(false, ordering: .sequentiallyConsistent) {
                var one: UInt64 = 1
                _ = Glibc.write(eventFD, &one, 8)
            }
            return true
        }
        if !accepted { Self.runElsewhere(work) }
    }

    /// Work that reaches a ring after its thread ended runs on the global executor; the
    /// socket calls it makes fail with `CancellationError`.
    static func runElsewhere(_ work: Work) {
        switch work {
        case .job(let job): globalConcurrentExecutor.enqueue(ExecutorJob(job))
        case .closure(let body): body()
        }
    }

    // MARK: Run loop

    func runLoop() {
        while true {
            runWork()
            // The jobs just run gave buffers back: arm the receives that starved for them
            // now, before the ring may block, or nothing would wake those receives.
            if !starvedReceives.isEmpty { armStarvedReceives() }
            if !scheduledSends.isEmpty { submitScheduledSends() }
            if lifecycle.loopIterationEnded(
                requestsInFlight: inFlightCount,
                hasQueuedWork: !localWork.isEmpty,
                hasUnsubmitted: raw.hasPendingSubmissions
            ) {
                return
            }
            counters.loopIterations &+= 1
            if needsWakeRead { armWakeRead() }
            let ret = raw.submit(wait: localWork.isEmpty && !hasStarvedReceivesToArm && prepareToSleep())
            isSleeping.store(false, ordering: .relaxed)
            if ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY && ret != -ETIME {
                precondition(ret != -EEXIST, "io_uring submitted from a thread that is not the ring's")
                logger.error("io_uring_enter failed", metadata: ["ring": "\(index)", "errno": "\(-ret)"])
            }
            reapCompletions()
        }
    }

    /// Runs queued jobs; at most a bounded number before I/O gets its turn again.
    private func runWork() {
        remote.withLock { state in
            if !state.work.isEmpty { swap(&state.work, &takenWork) }
        }
        if !takenWork.isEmpty {
            localWork.append(contentsOf: takenWork)
            takenWork.removeAll(keepingCapacity: true)
        }
        var budget = 4096
        while budget > 0, let work = localWork.popFirst() {
            switch work {
            case .job(let job): job.runSynchronously(on: asUnownedTaskExecutor())
            case .closure(let body): body()
            }
            budget -= 1
        }
    }

    /// Has `queue` submit its request before the ring next enters the kernel, after the jobs
    /// that are queued now ran: what they queue goes in the same request.
    package func scheduleSubmission(of queue: SendQueue) {
        scheduledSends.append(queue)
    }

    private func submitScheduledSends() {
        // A full submission queue reaps while submitting, which may schedule more.
        var index = 0
        while index < scheduledSends.count {
            scheduledSends[index].submitScheduled()
            index += 1
        }
        scheduledSends.removeAll(keepingCapacity: true)
    }

    /// Announces that the ring is about to block; false if remote work arrived meanwhile.
    private func prepareToSleep() -> Bool {
        isSleeping.store(true, ordering: .sequentiallyConsistent)
        let hasRemoteWork = remote.withLock { !$0.work.isEmpty }
        if hasRemoteWork { isSleeping.store(false, ordering: .relaxed) }
        return !hasRemoteWork
    }

    /// Reaps every available completion. Handlers only record results and resume
    /// continuations (which queue jobs); they never submit (what must be submitted goes
    /// through ``execute(_:)``), so this may run while the submission queue is being flushed.
    func reapCompletions() {
        isReaping = true
        defer { isReaping = false }
        counters.completions &+= raw.reap { userData, result, flags in
            switch userData {
            case Self.ignoredUserData:
                return
            case Self.wakeUserData:
                needsWakeRead = true
            default:
                let isFinal = flags & IORING_CQE_F_MORE == 0
                // SAFETY: user_data was made by passRetained in `submit`; that reference is
                // given up on the final completion only.
                let pointer = UnsafeMutableRawPointer(bitPattern: UInt(userData))!
                let unmanaged = Unmanaged<CompletionTarget>.fromOpaque(pointer)
                let target = isFinal ? unmanaged.takeRetainedValue() : unmanaged.takeUnretainedValue()
                if isFinal { inFlightCount -= 1 }
                target.complete(result: result, flags: flags, isFinal: isFinal)
            }
        }
    }

    /// A read of the eventfd stays posted on the ring; another thread's write completes it
    /// and so wakes a ring blocked in io_uring_enter.
    private func armWakeRead() {
        needsWakeRead = false
        let sqe = nextSubmission()
        io_uring_prep_read(sqe, eventFD, wakeBuffer, 8, UInt64.max)  // -1: no offset, a stream
        io_uring_sqe_set_data64(sqe, Self.wakeUserData)
    }
}
