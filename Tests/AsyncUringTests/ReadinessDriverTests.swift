import AsyncUringTestSupport
import CLiburing
import Glibc
import Testing

@testable import AsyncUring

/// The epoll driver's own rules, on rings configured for it whatever the environment says
/// (the whole suite also runs with the driver forced by `ASYNC_URING_DRIVER`).
@Suite(.timeLimit(.minutes(1)))
struct ReadinessDriverTests {
    @Test(arguments: RingDriver.allCases)
    func theConfiguredDriverWinsOverTheEnvironment(driver: RingDriver) async throws {
        let group = try RingGroup(numberOfRings: 1, configuration: RingConfiguration(driver: driver))
        #expect(group.rings[0].driver == driver)
        #expect(group.rings[0].setupFlags.isEmpty == (driver == .epoll))
        try await group.rings[0].nop()
        await group.shutdown()
    }

    @Test func anOpcodeItDoesNotCarryOutCompletesWithEOPNOTSUPP() async throws {
        try await withEpollRing { ring in
            let result = try await ring.run {
                try await ring.perform(OperationState(), timeout: nil) { io_uring_prep_fallocate($0, 0, 0, 0, 0) }
            }
            #expect(result == -EOPNOTSUPP)
        }
    }

    @Test func fileOperationsThatWouldBlockRunOnWorkerThreads() async throws {
        try await withEpollRing { ring in
            var template = Array("/tmp/readiness-file-XXXXXX".utf8CString)
            let fd = mkstemp(&template)
            #expect(fd >= 0)
            defer {
                unlink(template)
                close(fd)
            }
            let (synced, unknown, offloaded) = try await ring.run {
                let operation = OperationState()
                let synced = try await ring.perform(operation, timeout: nil) {
                    io_uring_prep_fsync($0, fd, IORING_FSYNC_DATASYNC)
                }
                let unknown = try await ring.perform(operation, timeout: nil) { io_uring_prep_fsync($0, -1, 0) }
                return (synced, unknown, ring.raw.workerOperations)
            }
            #expect(synced == 0)
            #expect(unknown == -EBADF)
            #expect(offloaded == 2)
        }
    }

    /// Opening a FIFO for reading blocks until a writer opens it: on a worker thread, while
    /// the ring goes on serving its other requests.
    @Test func aBlockingOpenWaitsOnAWorkerWhileTheRingServes() async throws {
        try await withEpollRing { ring in
            try await withFIFO { path in
                let pathAddress = UInt(bitPattern: path)
                let opening = Task {
                    try await ring.run {
                        try await ring.perform(OperationState(), timeout: nil) {
                            io_uring_prep_openat(
                                $0,
                                AT_FDCWD,
                                UnsafePointer(bitPattern: pathAddress),
                                O_RDONLY | O_CLOEXEC,
                                0
                            )
                        }
                    }
                }
                try await Task.sleep(for: .milliseconds(50))
                try await ring.run { try await ring.nop() }
                let writer = open(path, O_WRONLY | O_CLOEXEC)
                #expect(writer >= 0)
                let reader = try await opening.value
                #expect(reader >= 0)
                close(reader)
                close(writer)
            }
        }
    }

    /// A FIFO opened without O_NONBLOCK takes no RWF_NOWAIT read: its read waits on a worker
    /// thread for data, and the ring serves meanwhile.
    @Test func aReadOfABlockingFIFOWaitsWithoutBlockingTheRing() async throws {
        try await withEpollRing { ring in
            try await withBlockingFIFORead(on: ring) { _ in try await ring.run { try await ring.nop() } }
        }
    }

    /// A read already on a worker cannot be withdrawn: cancelling its task leaves it waiting,
    /// and it completes once, with the bytes, when they come; nothing stays in flight.
    @Test func aCancelledReadOnAWorkerCompletesOnceWhenItsCallReturns() async throws {
        try await withEpollRing { ring in
            try await withBlockingFIFORead(on: ring) { reading in
                reading.cancel()
                try await Task.sleep(for: .milliseconds(50))
                #expect(try await ring.run { (ring.raw.workerOperations, ring.inFlightCount) } == (1, 1))
            }
            #expect(try await ring.run { ring.inFlightCount } == 0)
        }
    }

    /// Reads a FIFO opened without O_NONBLOCK through `ring`, runs `meanwhile` once the read
    /// waits, then writes 5 bytes and checks that the read returns them.
    private func withBlockingFIFORead(
        on ring: Ring,
        meanwhile: (Task<Int32, any Error>) async throws -> Void
    ) async throws {
        try await withFIFO { path in
            // O_RDWR: a FIFO's open does not wait for the other end then.
            let fd = open(path, O_RDWR | O_CLOEXEC)
            #expect(fd >= 0)
            defer { close(fd) }
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 1)
            defer { buffer.deallocate() }
            let address = UInt(bitPattern: buffer)
            let reading = Task {
                try await ring.run {
                    try await ring.perform(OperationState(), timeout: nil) {
                        io_uring_prep_read($0, fd, UnsafeMutableRawPointer(bitPattern: address), 16, UInt64.max)
                    }
                }
            }
            try await Task.sleep(for: .milliseconds(50))
            try await meanwhile(reading)
            #expect(write(fd, "hello", 5) == 5)
            #expect(try await reading.value == 5)
            #expect(Array(UnsafeRawBufferPointer(start: buffer, count: 5)) == Array("hello".utf8))
        }
    }

    @Test func aLinkedTimeoutEndsAReceiveThatWaitsAndNothingStaysInFlight() async throws {
        try await withEpollRing { ring in
            let (reader, writer) = try socketPair()
            defer {
                close(reader)
                close(writer)
            }
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 1)
            defer { buffer.deallocate() }
            let address = UInt(bitPattern: buffer)
            let (timedOut, inFlight) = try await ring.run {
                let result = try await ring.perform(OperationState(), timeout: .milliseconds(20)) {
                    io_uring_prep_recv($0, reader, UnsafeMutableRawPointer(bitPattern: address), 16, 0)
                }
                return (result, ring.inFlightCount)
            }
            #expect(timedOut == -ETIMEDOUT)
            #expect(inFlight == 0)
        }
    }

    /// A splice that would block waits for whichever end is not ready: an empty pipe to be
    /// written, then a full socket to be read; it then moves what is there.
    @Test func aSpliceWaitsForTheEndThatIsNotReady() async throws {
        try await withEpollRing { ring in
            let (reader, writer) = try socketPair()
            var pipe: [Int32] = [-1, -1]
            #expect(cliburing_splice_pipe(&pipe, 0) > 0)
            defer { for fd in [reader, writer, pipe[0], pipe[1]] { close(fd) } }
            let (pipeOut, pipeIn) = (pipe[0], pipe[1])
            func splice(_ count: UInt32) async throws -> Int32 {
                try await ring.run {
                    try await ring.perform(OperationState(), timeout: .seconds(10)) {
                        io_uring_prep_splice($0, pipeOut, -1, writer, -1, count, 0)
                    }
                }
            }

            // The pipe is empty: the splice waits for it.
            let filler = Task.detached {
                try await Task.sleep(for: .milliseconds(50))
                return write(pipeIn, "hello", 5)
            }
            #expect(try await splice(5) == 5)
            #expect(try await filler.value == 5)
            var received = [UInt8](repeating: 0, count: 5)
            #expect(read(reader, &received, 5) == 5 && received == Array("hello".utf8))

            // The socket is full: the splice waits for room, then moves the pipe's bytes.
            #expect(fcntl(writer, F_SETFL, fcntl(writer, F_GETFL) | O_NONBLOCK) == 0)
            let chunk = [UInt8](repeating: 1, count: 4096)
            var queued = 0
            while case let written = write(writer, chunk, chunk.count), written > 0 { queued += written }
            #expect(errno == EAGAIN && queued > 0)
            #expect(write(pipeIn, chunk, chunk.count) == chunk.count)
            let total = queued + chunk.count
            let drainer = Task.detached { () -> Int in
                try await Task.sleep(for: .milliseconds(50))
                var buffer = [UInt8](repeating: 0, count: 1 << 16)
                var drained = 0
                while drained < total {
                    let count = read(reader, &buffer, buffer.count)
                    guard count > 0 else { return drained }
                    drained += count
                }
                return drained
            }
            var moved = 0
            while moved < chunk.count { moved += Int(try await splice(UInt32(chunk.count - moved))) }
            #expect(try await drainer.value == total)
        }
    }

    /// A descriptor closed with close(2), not through the ring, leaves the epoll set without
    /// the driver knowing; a request on the number's next socket must still be woken.
    @Test func aNumberClosedBehindItsBackIsWaitedOnAgainWhenReused() async throws {
        try await withEpollRing { ring in
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 1)
            defer { buffer.deallocate() }
            let address = UInt(bitPattern: buffer)
            var numbers: [Int32] = []
            for _ in 0..<3 {
                let (reader, writer) = try socketPair()
                numbers.append(reader)
                let sender = Task.detached {
                    try await Task.sleep(for: .milliseconds(30))
                    _ = write(writer, "hello", 5)
                }
                let received = try await ring.run {
                    try await ring.perform(OperationState(), timeout: .seconds(5)) {
                        io_uring_prep_recv($0, reader, UnsafeMutableRawPointer(bitPattern: address), 16, 0)
                    }
                }
                try await sender.value
                #expect(received == 5)
                close(reader)
                close(writer)
            }
            // The kernel hands out the lowest free number: the same one each time.
            #expect(Set(numbers).count == 1, "numbers \(numbers)")
        }
    }

    /// More pending connections than a multishot accept takes in one turn of the loop.
    @Test func aMultishotAcceptTakesABacklogLongerThanOneTurn() async throws {
        try await withEpollRing { ring in
            let (listener, port) = try loopbackListener(backlog: 128)
            defer { close(listener) }
            let clients = try (0..<100).map { _ in try connectedClient(port: port) }
            defer { for client in clients { close(client) } }
            let accepted = try await ring.run {
                let accept = MultishotAccept(
                    ring: ring,
                    listeningDescriptor: SocketDescriptor(listener, ring: ring),
                    queueLimit: 256
                )
                var descriptors: [Int32] = []
                for _ in clients {
                    descriptors.append(Int32(try await accept.next().get()))
                }
                accept.close()
                return descriptors
            }
            #expect(accepted.count == clients.count)
            #expect(Set(accepted).count == clients.count)
            for fd in accepted {
                // Accepted by the driver: non-blocking, close-on-exec.
                #expect(fcntl(fd, F_GETFL) & O_NONBLOCK != 0)
                #expect(fcntl(fd, F_GETFD) & Int32(FD_CLOEXEC) != 0)
                close(fd)
            }
        }
    }

    struct SystemCallFailed: Error {
        var errno: Int32
    }

    private func withEpollRing(_ body: (Ring) async throws -> Void) async throws {
        try await withLeakCheck {
            let group = try RingGroup(numberOfRings: 1, configuration: RingConfiguration(driver: .epoll))
            do {
                try await body(group.rings[0])
            } catch {
                await group.shutdown()
                throw error
            }
            await group.shutdown()
        }
    }

    /// A FIFO in a new temporary directory, its path as a C string valid during `body`.
    private func withFIFO(_ body: (UnsafeMutablePointer<CChar>) async throws -> Void) async throws {
        var template = Array("/tmp/readiness-fifo-XXXXXX".utf8CString)
        let directory = try #require(mkdtemp(&template).map { String(cString: $0) })
        let path = try #require(strdup(directory + "/fifo"))
        defer {
            unlink(path)
            rmdir(directory)
            free(path)
        }
        #expect(mkfifo(path, 0o600) == 0)
        try await body(path)
    }

    private func socketPair() throws -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw SystemCallFailed(errno: errno)
        }
        return (fds[0], fds[1])
    }

    private func loopbackListener(backlog: Int32) throws -> (Int32, UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && listen(fd, backlog) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else {
            let error = SystemCallFailed(errno: errno)
            close(fd)
            throw error
        }
        return (fd, UInt16(bigEndian: address.sin_port))
    }

    private func connectedClient(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else {
            let error = SystemCallFailed(errno: errno)
            close(fd)
            throw error
        }
        return fd
    }
}
