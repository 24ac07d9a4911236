internal import CLiburing
import Glibc
import HeapModule
import SystemPackage

/// The epoll driver: io_uring's interface carried out in user space by the ring thread, for
/// hosts that refuse io_uring.
///
/// It takes the submission entries the layers above prepare, in order, and posts the
/// completions io_uring would post, with the same results and flags (`IORING_CQE_F_MORE`,
/// `IORING_CQE_F_BUFFER`), so one code path serves both drivers. Each request is tried at
/// once with a non-blocking system call; one that would block waits for its descriptor's
/// readiness, reported by an edge-triggered epoll instance, and is tried again then.
/// Multishot accepts and receives stay waiting after each completion; receives take their
/// buffers from the same provided buffer ring the kernel would (`ENOBUFS` when it is empty).
/// Timeouts, linked timeouts and cancellations keep io_uring's semantics: a linked timeout
/// that fires cancels its request (`-ECANCELED`, and `-ETIME` for the timeout), a request
/// that completes first cancels its timeout.
///
/// File reads and writes are tried without waiting, and what would wait for a disk, like
/// every open, statx and fsync, runs on worker threads: see ``attemptFileOperation(_:)``
/// and ``ReadinessWorkers``. A splice waits for whichever of its pipe or socket ends is not
/// ready. Opcodes the driver does not carry out complete with `-EOPNOTSUPP`.
///
/// Guarded by: ring thread.
final class ReadinessRing {
    private struct Completion {
        var userData: UInt64
        var result: Int32
        var flags: UInt32
    }

    /// A descriptor some request waited on: who waits, in submission order, per direction.
    private final class Descriptor {
        @exclusivity(unchecked) var readers: [ReadinessRequest] = []
        @exclusivity(unchecked) var writers: [ReadinessRequest] = []
        /// Registered with epoll, as far as this driver knows: a descriptor closed with
        /// close(2) elsewhere leaves the epoll set without a word, so a registration is
        /// renewed (`EPOLL_CTL_MOD`, else `ADD`) whenever a request starts waiting on an
        /// idle descriptor.
        var isRegistered = false
        var isIdle: Bool { readers.isEmpty && writers.isEmpty }
    }

    /// What trying a request led to.
    enum Outcome {
        /// Its final completion.
        case completed(Int32, flags: UInt32 = 0)
        /// It waits for its descriptor's readiness.
        case wait(ReadinessRequest.Interest)
        /// A multishot request did its share of work for this turn and goes on in the next.
        case retry
        /// It would block where epoll cannot wait (a file read from disk): a worker thread
        /// carries it out.
        case offload
    }

    private let epollFD: Int32
    // SAFETY: both allocations are owned here and freed in deinit.
    private let submissions: UnsafeMutablePointer<io_uring_sqe>
    private let events: UnsafeMutablePointer<epoll_event>
    private let submissionCapacity: Int
    @exclusivity(unchecked) private var submissionCount = 0
    @exclusivity(unchecked) private var completions: [Completion] = []
    @exclusivity(unchecked) private var reaped: [Completion] = []
    /// Indexed by descriptor number.
    @exclusivity(unchecked) private var descriptors: [Descriptor?] = []
    /// Waiting requests by `user_data`, for cancellation (linked timeouts are reached
    /// through the request they bound).
    @exclusivity(unchecked) private var waiting: [UInt64: ReadinessRequest] = [:]
    @exclusivity(unchecked) private var timers = Heap<ReadinessTimer>()
    @exclusivity(unchecked) private var timerSequence: UInt64 = 0
    @exclusivity(unchecked) private var retries: [ReadinessRequest] = []
    @exclusivity(unchecked) private var spareRetries: [ReadinessRequest] = []
    @exclusivity(unchecked) private var buffers: UserBufferRing?
    /// Its threads are started by the first operations handed to them.
    private let workers: ReadinessWorkers
    /// Operations handed to worker threads, for tests and diagnostics.
    @exclusivity(unchecked) private(set) var workerOperations = 0

    private static let eventCapacity = 256
    /// Completions one multishot request posts per turn before the others get theirs.
    private static let multishotBatch = 32

    init(configuration: RingConfiguration) throws(RingError) {
        let fd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard fd >= 0 else { throw RingError(operation: "epoll_create1", errno: Errno(rawValue: errno)) }
        do {
            workers = try ReadinessWorkers()
        } catch {
            Glibc.close(fd)
            throw error
        }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLET.rawValue
        event.data.u64 = UInt64(UInt32(bitPattern: workers.wakeDescriptor))
        guard epoll_ctl(fd, EPOLL_CTL_ADD, workers.wakeDescriptor, &event) == 0 else {
            let error = RingError(operation: "epoll_ctl", errno: Errno(rawValue: errno))
            workers.stop()
            Glibc.close(fd)
            throw error
        }
        epollFD = fd
        submissionCapacity = Int(configuration.submissionEntries)
        submissions = .allocate(capacity: submissionCapacity)
        events = .allocate(capacity: Self.eventCapacity)
    }

    deinit {
        workers.stop()
        // Break the request-timeout cycles of whatever still waits.
        for request in waiting.values {
            request.linkedTimeout?.bounded = nil
            request.linkedTimeout = nil
        }
        Glibc.close(epollFD)
        submissions.deallocate()
        events.deallocate()
    }

    // MARK: The ring's interface

    var submissionSpaceLeft: UInt32 { UInt32(submissionCapacity - submissionCount) }

    var hasPendingSubmissions: Bool { submissionCount > 0 }

    /// A free submission entry; a full queue is carried out first.
    @inline(__always)
    func nextSubmission() -> UnsafeMutablePointer<io_uring_sqe> {
        if submissionCount == submissionCapacity { startSubmissions() }
        defer { submissionCount += 1 }
        return submissions + submissionCount
    }

    /// Carries out the queued submissions, then takes the readiness epoll reports and the
    /// timers that expired; blocks for them only when `wait` is set and nothing completed.
    /// Returns 0, or the negated errno of `epoll_wait`.
    func submit(wait: Bool) -> Int32 {
        startSubmissions()
        let blocks = wait && completions.isEmpty && retries.isEmpty
        let count = cliburing_epoll_wait(epollFD, events, Int32(Self.eventCapacity), blocks ? waitTimeout() : 0)
        let failure = count < 0 ? -errno : 0
        for index in 0..<max(Int(count), 0) {
            let event = events[index]
            dispatch(fd: Int32(truncatingIfNeeded: event.data.u64), events: event.events)
        }
        runRetries()
        if !timers.isEmpty { expireTimers() }
        return failure
    }

    func reap(_ handle: (_ userData: UInt64, _ result: Int32, _ flags: UInt32) -> Void) -> Int {
        guard !completions.isEmpty else { return 0 }
        // Handlers never submit, so nothing is posted while this runs.
        swap(&completions, &reaped)
        for completion in reaped { handle(completion.userData, completion.result, completion.flags) }
        let count = reaped.count
        reaped.removeAll(keepingCapacity: true)
        return count
    }

    func registerBufferRing(_ memory: UnsafeMutableRawPointer, entries: UInt16, groupID: UInt16) -> Int32 {
        guard buffers == nil else { return -EEXIST }
        buffers = UserBufferRing(
            ring: memory.assumingMemoryBound(to: io_uring_buf_ring.self),
            groupID: groupID,
            mask: entries - 1
        )
        return 0
    }

    func unregisterBufferRing(groupID: UInt16) {
        if buffers?.groupID == groupID { buffers = nil }
    }

    // MARK: Submissions

    private func startSubmissions() {
        var index = 0
        while index < submissionCount {
            let operation = ReadinessOperation(submissions + index)
            index += 1
            // A request linked to the timeout that follows it; other links are not chained.
            var linkedTimeout: ReadinessOperation?
            if operation.sqeFlags & cliburing_iosqe_io_link != 0, index < submissionCount,
                submissions[index].opcode == ReadinessOpcode.linkTimeout
            {
                linkedTimeout = ReadinessOperation(submissions + index)
                index += 1
            }
            start(operation, linkedTimeout: linkedTimeout)
        }
        submissionCount = 0
    }

    private func start(_ operation: ReadinessOperation, linkedTimeout: ReadinessOperation?) {
        var operation = operation
        switch operation.opcode {
        case ReadinessOpcode.timeout:
            return startTimeout(operation, linkedTimeout: linkedTimeout)
        case ReadinessOpcode.linkTimeout:
            // Not after a request linked to it.
            return post(operation, -EINVAL)
        case ReadinessOpcode.cancel:
            return post(operation, cancel(matching: operation))
        case ReadinessOpcode.accept, ReadinessOpcode.connect:
            if let error = makeNonBlocking(operation.fd) {
                post(operation, -error)
                if let linkedTimeout { post(linkedTimeout, -ECANCELED) }
                return
            }
        case ReadinessOpcode.splice:
            // SPLICE_F_NONBLOCK covers the pipe; a socket end must not block either.
            if let error = makeNonBlocking(socket: operation.fd) ?? makeNonBlocking(socket: operation.spliceInput) {
                post(operation, -error)
                if let linkedTimeout { post(linkedTimeout, -ECANCELED) }
                return
            }
        default:
            break
        }
        let outcome = attempt(&operation, afterPlainArrival: false)
        let interest: ReadinessRequest.Interest
        switch outcome {
        case .completed(let result, let flags):
            post(operation, result, flags)
            if let linkedTimeout { post(linkedTimeout, -ECANCELED) }
            return
        case .offload:
            // A linked timeout does not bound work on a worker (no file call sets one).
            offload(operation)
            if let linkedTimeout { post(linkedTimeout, -ECANCELED) }
            return
        case .wait(let waitingFor):
            interest = waitingFor
        case .retry:
            // Only multishot accepts and receives retry.
            interest = .read
        }
        let request = ReadinessRequest(operation, interest: interest)
        startWaiting(request, linkedTimeout: linkedTimeout)
        enqueue(request)
        if case .retry = outcome { retries.append(request) }
    }

    private func startTimeout(_ operation: ReadinessOperation, linkedTimeout: ReadinessOperation?) {
        // Relative timeouts on CLOCK_MONOTONIC only, not counting completions.
        guard operation.opFlags == 0, operation.offset == 0, let timespec = operation.timespec else {
            post(operation, -EINVAL)
            if let linkedTimeout { post(linkedTimeout, -ECANCELED) }
            return
        }
        let timer = ReadinessRequest(operation, interest: .timer)
        startWaiting(timer, linkedTimeout: linkedTimeout)
        schedule(timer, after: timespec)
    }

    /// Makes a request that waits findable for cancellation, and arms its linked timeout.
    private func startWaiting(_ request: ReadinessRequest, linkedTimeout: ReadinessOperation?) {
        let operation = request.operation
        if operation.userData != 0 { waiting[operation.userData] = request }
        guard let linkedTimeout else { return }
        guard let timespec = linkedTimeout.timespec else { return post(linkedTimeout, -EINVAL) }
        let timer = ReadinessRequest(linkedTimeout, interest: .timer)
        timer.bounded = request
        request.linkedTimeout = timer
        schedule(timer, after: timespec)
    }

    // MARK: Completions

    @inline(__always)
    private func post(_ operation: ReadinessOperation, _ result: Int32, _ flags: UInt32 = 0) {
        if result >= 0 && operation.sqeFlags & cliburing_iosqe_cqe_skip_success != 0 { return }
        completions.append(Completion(userData: operation.userData, result: result, flags: flags))
    }

    /// Posts a waiting request's final completion; a timeout linked to it is cancelled.
    private func finish(_ request: ReadinessRequest, _ result: Int32, _ flags: UInt32 = 0) {
        retire(request, posting: (result, flags))
    }

    /// Takes a request that waited off the driver's books, posting `completion` for it if
    /// given; a timeout linked to it is cancelled.
    private func retire(_ request: ReadinessRequest, posting completion: (result: Int32, flags: UInt32)?) {
        request.isDone = true
        let operation = request.operation
        if operation.userData != 0, waiting[operation.userData] === request {
            waiting[operation.userData] = nil
        }
        if let completion { post(operation, completion.result, completion.flags) }
        if let timer = request.linkedTimeout {
            request.linkedTimeout = nil
            timer.bounded = nil
            timer.isDone = true
            post(timer.operation, -ECANCELED)
        }
    }

    // MARK: Readiness

    private func descriptor(_ fd: Int32) -> Descriptor {
        let index = Int(fd)
        if index >= descriptors.count {
            descriptors.append(contentsOf: repeatElement(nil, count: index + 1 - descriptors.count))
        }
        if let descriptor = descriptors[index] { return descriptor }
        let descriptor = Descriptor()
        descriptors[index] = descriptor
        return descriptor
    }

    /// Puts a request in its descriptor's line; a descriptor nobody waited on is registered
    /// with epoll first (whose report of the current readiness closes the gap between the
    /// failed attempt and the registration).
    private func enqueue(_ request: ReadinessRequest) {
        let fd = request.operation.waitDescriptor
        let entry = descriptor(fd)
        if entry.isIdle, let error = register(fd, entry) {
            return finish(request, -error)
        }
        switch request.interest {
        case .read: entry.readers.append(request)
        case .write: entry.writers.append(request)
        case .timer: preconditionFailure("a timer waits in the heap")
        }
    }

    /// Registers `fd` for every readiness, edge-triggered; returns the errno on failure
    /// (`EPERM` for a regular file, which is always ready and never waits here).
    private func register(_ fd: Int32, _ entry: Descriptor) -> Int32? {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLOUT.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue
        event.data.u64 = UInt64(UInt32(bitPattern: fd))
        if entry.isRegistered {
            if epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event) == 0 { return nil }
            guard errno == ENOENT else { return errno }
        }
        if epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0
            || errno == EEXIST
                && epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event) == 0
        {
            entry.isRegistered = true
            return nil
        }
        return errno
    }

    private func dispatch(fd: Int32, events: UInt32) {
        if fd == workers.wakeDescriptor {
            return workers.takeCompletions { post($0.operation, $0.result) }
        }
        guard Int(fd) < descriptors.count, let entry = descriptors[Int(fd)] else { return }
        let failed = EPOLLHUP.rawValue | EPOLLERR.rawValue
        let ended = EPOLLRDHUP.rawValue | failed
        if events & (EPOLLIN.rawValue | ended) != 0, !entry.readers.isEmpty {
            serve(fd, entry, .read, afterPlainArrival: events & ended == 0)
        }
        if events & (EPOLLOUT.rawValue | failed) != 0, !entry.writers.isEmpty {
            serve(fd, entry, .write, afterPlainArrival: events & failed == 0)
        }
    }

    /// Tries the requests waiting on `entry` (descriptor `fd`) in one direction, in order,
    /// until one would block again. `afterPlainArrival`: epoll reported data or room, no end
    /// of stream, hang-up or error.
    private func serve(
        _ fd: Int32,
        _ entry: Descriptor,
        _ interest: ReadinessRequest.Interest,
        afterPlainArrival: Bool
    ) {
        while let request = interest == .read ? entry.readers.first : entry.writers.first {
            switch attempt(&request.operation, afterPlainArrival: afterPlainArrival) {
            case .completed(let result, let flags):
                if interest == .read { entry.readers.removeFirst() } else { entry.writers.removeFirst() }
                finish(request, result, flags)
            case .wait(let next) where next != interest || request.operation.waitDescriptor != fd:
                // A splice whose other end is not ready now waits there.
                if interest == .read { entry.readers.removeFirst() } else { entry.writers.removeFirst() }
                request.interest = next
                enqueue(request)
            case .wait:
                return
            case .retry:
                retries.append(request)
                return
            case .offload:
                if interest == .read { entry.readers.removeFirst() } else { entry.writers.removeFirst() }
                handOver(request)
            }
        }
    }

    // MARK: Worker threads

    /// Gives `operation` to a worker thread; its completion is posted when the worker is
    /// done. Carried out here when no worker can be started.
    private func offload(_ operation: ReadinessOperation) {
        workerOperations += 1
        if !workers.submit(operation) { post(operation, operation.performBlocking()) }
    }

    /// A waiting request that turned out to need a worker: it leaves the driver's books
    /// (its linked timeout is cancelled) and goes to one.
    private func handOver(_ request: ReadinessRequest) {
        retire(request, posting: nil)
        offload(request.operation)
    }

    /// Multishot requests that stopped after their share of a turn go on.
    private func runRetries() {
        guard !retries.isEmpty else { return }
        swap(&retries, &spareRetries)
        for request in spareRetries where !request.isDone {
            let fd = request.operation.waitDescriptor
            guard Int(fd) < descriptors.count, let entry = descriptors[Int(fd)] else { continue }
            serve(fd, entry, request.interest, afterPlainArrival: false)
        }
        spareRetries.removeAll(keepingCapacity: true)
    }

    // MARK: Timers

    private func schedule(_ timer: ReadinessRequest, after timespec: __kernel_timespec) {
        // Saturating: a timeout of Int64.max seconds is "never", not an overflow.
        let (seconds, overflowed) = UInt64(max(timespec.tv_sec, 0)).multipliedReportingOverflow(by: 1_000_000_000)
        let (nanoseconds, carried) = seconds.addingReportingOverflow(UInt64(max(timespec.tv_nsec, 0)))
        let (deadline, late) = Self.now().addingReportingOverflow(nanoseconds)
        timer.deadline = overflowed || carried || late ? UInt64.max : deadline
        timerSequence &+= 1
        timers.insert(ReadinessTimer(deadline: timer.deadline, sequence: timerSequence, request: timer))
    }

    /// Nanoseconds until the earliest timer; -1 (for ever) without one.
    private func waitTimeout() -> Int64 {
        while let earliest = timers.min, earliest.request.isDone { timers.removeMin() }
        guard let earliest = timers.min else { return -1 }
        let now = Self.now()
        guard earliest.deadline > now else { return 0 }
        return Int64(clamping: earliest.deadline - now)
    }

    private func expireTimers() {
        let now = Self.now()
        while let earliest = timers.min, earliest.deadline <= now || earliest.request.isDone {
            let timer = timers.removeMin().request
            guard !timer.isDone else { continue }
            if let request = timer.bounded {
                // A linked timeout: its request is cancelled, the timeout reports it fired.
                timer.bounded = nil
                request.linkedTimeout = nil
                withdraw(request)
                finish(request, -ECANCELED)
                timer.isDone = true
                post(timer.operation, -ETIME)
            } else {
                finish(timer, -ETIME)
            }
        }
    }

    private static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }

    // MARK: Cancellation

    /// `IORING_OP_ASYNC_CANCEL`: by `user_data`, or every request (`IORING_ASYNC_CANCEL_ANY`
    /// with `_ALL`). Returns 0 (or the count) or `-ENOENT`, as io_uring does.
    private func cancel(matching operation: ReadinessOperation) -> Int32 {
        let flags = operation.opFlags
        if flags & IORING_ASYNC_CANCEL_ANY != 0 {
            let all = flags & IORING_ASYNC_CANCEL_ALL != 0
            var count: Int32 = 0
            for request in Array(waiting.values) where !request.isDone {
                cancel(request)
                count += 1
                if !all { break }
            }
            return count > 0 ? (all ? count : 0) : -ENOENT
        }
        guard flags & ~IORING_ASYNC_CANCEL_ALL == 0 else { return -EINVAL }
        guard let request = waiting[operation.address], !request.isDone else { return -ENOENT }
        cancel(request)
        return 0
    }

    private func cancel(_ request: ReadinessRequest) {
        withdraw(request)
        finish(request, -ECANCELED)
    }

    /// Takes a waiting request out of its descriptor's line (a timer stays in the heap, done).
    private func withdraw(_ request: ReadinessRequest) {
        let fd = request.operation.waitDescriptor
        guard request.interest != .timer, Int(fd) < descriptors.count, let entry = descriptors[Int(fd)] else { return }
        entry.readers.removeAll { $0 === request }
        entry.writers.removeAll { $0 === request }
    }

    /// A descriptor closed through the ring: requests still waiting on it end with `EBADF`
    /// (the layers above never close under a request), and its number is forgotten; the
    /// kernel drops it from the epoll set.
    private func forget(_ fd: Int32) {
        guard fd >= 0, Int(fd) < descriptors.count, let entry = descriptors[Int(fd)] else { return }
        descriptors[Int(fd)] = nil
        for request in entry.readers + entry.writers { finish(request, -EBADF) }
    }

    private func makeNonBlocking(_ fd: Int32) -> Int32? {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0 else { return errno }
        if flags & O_NONBLOCK != 0 { return nil }
        return fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 ? nil : errno
    }

    /// Makes `fd` non-blocking if it is a socket; other descriptors are left as they are.
    private func makeNonBlocking(socket fd: Int32) -> Int32? {
        var status = stat()
        guard fstat(fd, &status) == 0 else { return errno }
        return status.st_mode & S_IFMT == S_IFSOCK ? makeNonBlocking(fd) : nil
    }

    // MARK: Operations

    /// Tries `operation` once with a non-blocking system call (a multishot one as many
    /// times as it succeeds, up to its share). `afterPlainArrival`: see ``receive(_:afterPlainArrival:)``.
    private func attempt(_ operation: inout ReadinessOperation, afterPlainArrival: Bool) -> Outcome {
        let fd = operation.fd
        switch operation.opcode {
        case ReadinessOpcode.nop:
            return .completed(0)
        case ReadinessOpcode.send where operation.addressLength > 0:
            // sendto(2): the destination is in `addr2` (`off`).
            let destination = UnsafePointer<sockaddr>(bitPattern: UInt(operation.offset))
            return transfer(.write) {
                sendto(
                    fd,
                    operation.pointer,
                    Int(operation.length),
                    operation.messageFlags,
                    destination,
                    socklen_t(operation.addressLength)
                )
            }
        case ReadinessOpcode.send:
            return transfer(.write) { send(fd, operation.pointer, Int(operation.length), operation.messageFlags) }
        case ReadinessOpcode.sendMessage:
            return transfer(.write) {
                sendmsg(fd, operation.pointer?.assumingMemoryBound(to: msghdr.self), operation.messageFlags)
            }
        case ReadinessOpcode.receive:
            return receive(&operation, afterPlainArrival: afterPlainArrival)
        case ReadinessOpcode.splice:
            return splice(&operation)
        case ReadinessOpcode.receiveMessage:
            if operation.isMultishot { return receiveMessages(operation) }
            guard operation.sqeFlags & cliburing_iosqe_buffer_select == 0 else { return .completed(-EOPNOTSUPP) }
            return transfer(.read) {
                recvmsg(fd, operation.pointer?.assumingMemoryBound(to: msghdr.self), operation.messageFlags)
            }
        case ReadinessOpcode.accept:
            return accept(operation)
        case ReadinessOpcode.connect:
            return connect(&operation)
        case ReadinessOpcode.shutdown:
            return .completed(Glibc.shutdown(fd, Int32(bitPattern: operation.length)) == 0 ? 0 : -errno)
        case ReadinessOpcode.close:
            forget(fd)
            return .completed(Glibc.close(fd) == 0 ? 0 : -errno)
        default:
            // A registered buffer's entry carries its address: the same memory.
            return attemptFileOperation(&operation) ?? .completed(-EOPNOTSUPP)
        }
    }

    /// Runs a call that transfers bytes: its count, or a wait for `interest` when it would
    /// block, or its negated errno.
    @inline(__always)
    private func transfer(_ interest: ReadinessRequest.Interest, _ call: () -> Int) -> Outcome {
        while true {
            let ret = call()
            if ret >= 0 { return .completed(Int32(truncatingIfNeeded: ret)) }
            switch errno {
            case EINTR: continue
            case EAGAIN: return .wait(interest)
            case let error: return .completed(-error)
            }
        }
    }

    /// A receive. A multishot one reads until the socket is empty: until a read returns
    /// less than the buffer holds, when epoll just reported plain data (edge-triggered, it
    /// reports every later arrival again); else until `EAGAIN` or the end of stream, since
    /// an end of stream that came with the data, or before the request, is reported once
    /// only, or never to this request.
    private func receive(_ operation: inout ReadinessOperation, afterPlainArrival: Bool) -> Outcome {
        let fd = operation.fd
        guard operation.sqeFlags & cliburing_iosqe_buffer_select != 0 else {
            if operation.isMultishot { return .completed(-EINVAL) }
            return transfer(.read) { recv(fd, operation.pointer, Int(operation.length), operation.messageFlags) }
        }
        var posted = 0
        while true {
            guard buffers?.groupID == operation.bufferGroup, let buffer = buffers?.peek() else {
                return .completed(-ENOBUFS)
            }
            let capacity = operation.length == 0 ? Int(buffer.len) : min(Int(operation.length), Int(buffer.len))
            let count = recv(
                fd,
                UnsafeMutableRawPointer(bitPattern: UInt(buffer.addr)),
                capacity,
                operation.messageFlags
            )
            if count > 0 {
                buffers!.consume()
                let flags = IORING_CQE_F_BUFFER | UInt32(buffer.bid) << cliburing_cqe_buffer_shift
                guard operation.isMultishot else { return .completed(Int32(count), flags: flags) }
                post(operation, Int32(count), flags | IORING_CQE_F_MORE)
                if count < capacity && afterPlainArrival { return .wait(.read) }
                posted += 1
                if posted == Self.multishotBatch { return .retry }
                continue
            }
            if count == 0 { return .completed(0) }
            switch errno {
            case EINTR: continue
            case EAGAIN: return .wait(.read)
            case let error: return .completed(-error)
            }
        }
    }

    /// A multishot `IORING_OP_RECVMSG` with provided buffers: each message lands in a buffer
    /// as the kernel lays it out (`struct io_uring_recvmsg_out`, the room the template
    /// message reserves for the name and the control data, the payload), until `EAGAIN`.
    private func receiveMessages(_ operation: ReadinessOperation) -> Outcome {
        guard operation.sqeFlags & cliburing_iosqe_buffer_select != 0,
            let template = operation.pointer?.assumingMemoryBound(to: msghdr.self).pointee
        else { return .completed(-EINVAL) }
        let headerSize = MemoryLayout<io_uring_recvmsg_out>.size
        let reserved = headerSize + Int(template.msg_namelen) + template.msg_controllen
        var posted = 0
        while true {
            guard buffers?.groupID == operation.bufferGroup, let buffer = buffers?.peek() else {
                return .completed(-ENOBUFS)
            }
            guard Int(buffer.len) >= reserved, let base = UnsafeMutableRawPointer(bitPattern: UInt(buffer.addr)) else {
                return .completed(-EFAULT)
            }
            var vector = iovec(iov_base: base + reserved, iov_len: Int(buffer.len) - reserved)
            var message = msghdr()
            message.msg_name = template.msg_namelen > 0 ? base + headerSize : nil
            message.msg_namelen = template.msg_namelen
            message.msg_control = template.msg_controllen > 0 ? base + headerSize + Int(template.msg_namelen) : nil
            message.msg_controllen = template.msg_controllen
            let count = withUnsafeMutablePointer(to: &vector) { vector in
                message.msg_iov = vector
                message.msg_iovlen = 1
                return recvmsg(operation.fd, &message, operation.messageFlags | Int32(MSG_TRUNC))
            }
            if count >= 0 {
                buffers!.consume()
                var header = io_uring_recvmsg_out()
                header.namelen = UInt32(message.msg_namelen)
                header.controllen = UInt32(message.msg_controllen)
                header.payloadlen = UInt32(truncatingIfNeeded: count)
                header.flags = UInt32(bitPattern: message.msg_flags)
                base.storeBytes(of: header, as: io_uring_recvmsg_out.self)
                let used = reserved + min(count, vector.iov_len)
                let flags = IORING_CQE_F_BUFFER | UInt32(buffer.bid) << cliburing_cqe_buffer_shift
                post(operation, Int32(used), flags | IORING_CQE_F_MORE)
                posted += 1
                if posted == Self.multishotBatch { return .retry }
                continue
            }
            switch errno {
            case EINTR: continue
            case EAGAIN: return .wait(.read)
            case let error: return .completed(-error)
            }
        }
    }

    /// `IORING_OP_SPLICE` without blocking on a pipe or socket: when it would block, the
    /// request waits for its input to become readable if that has nothing to read, else for
    /// its output to take bytes. A regular file is always ready; reading it blocks the ring
    /// thread as other file operations do.
    private func splice(_ operation: inout ReadinessOperation) -> Outcome {
        while true {
            let moved = cliburing_splice_nonblocking(
                operation.spliceInput,
                Int64(bitPattern: operation.address),
                operation.fd,
                Int64(bitPattern: operation.offset),
                UInt(operation.length),
                operation.opFlags
            )
            if moved >= 0 { return .completed(Int32(truncatingIfNeeded: moved)) }
            switch errno {
            case EINTR: continue
            case EAGAIN:
                var input = pollfd(fd: operation.spliceInput, events: Int16(POLLIN), revents: 0)
                // Ready, hung up, or failed: the next attempt will tell; wait for the output.
                let inputReady = poll(&input, 1, 0) != 0
                operation.waitDescriptor = inputReady ? operation.fd : operation.spliceInput
                return .wait(inputReady ? .write : .read)
            case let error: return .completed(-error)
            }
        }
    }

    private func accept(_ operation: ReadinessOperation) -> Outcome {
        let flags = Int32(bitPattern: operation.opFlags) | Int32(SOCK_NONBLOCK.rawValue)
        let address = operation.pointer?.assumingMemoryBound(to: sockaddr.self)
        let length = UnsafeMutablePointer<socklen_t>(bitPattern: UInt(operation.offset))
        var posted = 0
        while true {
            let fd = cliburing_accept4(operation.fd, address, length, flags)
            if fd >= 0 {
                guard operation.isMultishot else { return .completed(fd) }
                post(operation, fd, IORING_CQE_F_MORE)
                posted += 1
                if posted == Self.multishotBatch { return .retry }
                continue
            }
            switch errno {
            case EINTR: continue
            case EAGAIN: return .wait(.read)
            case let error: return .completed(-error)
            }
        }
    }

    private func connect(_ operation: inout ReadinessOperation) -> Outcome {
        if operation.isConnecting {
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(operation.fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else {
                return .completed(-errno)
            }
            return .completed(-error)
        }
        let address = operation.pointer?.assumingMemoryBound(to: sockaddr.self)
        if Glibc.connect(operation.fd, address, socklen_t(truncatingIfNeeded: operation.offset)) == 0 {
            return .completed(0)
        }
        switch errno {
        case EINPROGRESS, EINTR, EALREADY:
            operation.isConnecting = true
            return .wait(.write)
        case let error:
            return .completed(-error)
        }
    }
}

extension ReadinessOperation {
    /// The timespec a timeout's `addr` points at, read at submission as the kernel does.
    fileprivate var timespec: __kernel_timespec? {
        guard let pointer else { return nil }
        return pointer.load(as: __kernel_timespec.self)
    }
}
