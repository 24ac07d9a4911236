import AsyncUring
import AsyncUringSocket
import AsyncUringTestSupport
import Glibc
import Logging
import Synchronization
import Testing

/// Resident memory of this process in bytes, from /proc/self/statm (second field, pages).
func residentBytes() -> Int {
    let fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return -1 }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 128)
    let count = read(fd, &buffer, buffer.count)
    guard count > 0 else { return -1 }
    let fields = String(decoding: buffer[..<count], as: UTF8.self).split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return -1 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// CPU time this process used so far (every thread, user and system).
func processCPUTime() -> Duration {
    var now = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
    return .seconds(now.tv_sec) + .nanoseconds(now.tv_nsec)
}

/// The highest descriptor number open in this process.
func highestOpenDescriptor() -> Int32 {
    guard let directory = opendir("/proc/self/fd") else { return -1 }
    defer { closedir(directory) }
    var highest: Int32 = -1
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        if let number = Int32(name) { highest = max(highest, number) }
    }
    return highest
}

/// Runs `body` with the soft `RLIMIT_NOFILE` lowered to `limit`, and restores it afterwards
/// whatever happens: every other test shares this process's limit.
func withDescriptorLimit<T>(
    _ limit: Int,
    isolation: isolated (any Actor)? = #isolation,
    _ body: () async throws -> T
) async throws -> T {
    var saved = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &saved)
    var lowered = saved
    lowered.rlim_cur = rlim_t(limit)
    try #require(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lowered) == 0)
    defer { setrlimit(Int32(RLIMIT_NOFILE.rawValue), &saved) }
    return try await body()
}

/// Descriptors that occupy every free slot below the current limit, so the next socket or
/// accept fails with `EMFILE`; closed again by ``release()``.
struct DescriptorFiller: ~Copyable {
    private(set) var descriptors: [Int32] = []

    /// Opens /dev/null until the process is out of descriptors; at most `maximum` of them.
    init(maximum: Int = 4096) {
        while descriptors.count < maximum {
            let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
            if fd < 0 { break }
            descriptors.append(fd)
        }
    }

    /// Frees one slot (the lowest filler descriptor) for the caller to use.
    mutating func freeOne() {
        guard let lowest = descriptors.min(), let index = descriptors.firstIndex(of: lowest) else { return }
        close(lowest)
        descriptors.remove(at: index)
    }

    consuming func release() {
        for fd in descriptors { close(fd) }
        descriptors = []
    }

    deinit {
        for fd in descriptors { close(fd) }
    }
}

/// Bytes that name their connection and their position: every 8-byte word holds the
/// connection's number and the word's index (little endian), so a byte that lands in the
/// wrong connection or at the wrong offset shows.
func taggedPattern(count: Int, connection: Int) -> [UInt8] {
    (0..<count).map { offset in
        let word = offset / 8
        let value = offset % 8 < 4 ? UInt32(truncatingIfNeeded: connection &+ 1) : UInt32(truncatingIfNeeded: word)
        return UInt8(truncatingIfNeeded: value >> (8 * UInt32(offset % 4)))
    }
}

/// Polls `condition` every 5 ms until it holds or `timeout` has passed.
/// - Returns: whether it held.
func waitUntil(
    timeout: Duration = .seconds(10),
    isolation: isolated (any Actor)? = #isolation,
    _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(5))
    }
    return try await condition()
}

/// An echo server like ``startEchoServer(group:)``, returning the `TCPServer` itself so a
/// test can read ``TCPServer/openConnections`` and shut it down gracefully.
/// - Parameters:
///   - idleTimeout: the server's ``TCPServer`` idle timeout.
///   - uncopied: echo with ``TCPConnection/receiveBytes(timeout:)``, sending each received
///     buffer back as it is, instead of copying through an array.
func runEchoServer(
    group: RingGroup? = nil,
    maxConnections: Int? = nil,
    idleTimeout: Duration? = nil,
    uncopied: Bool = false,
    logger: Logger = Logger(label: "AsyncUringSocket.TCPServer")
) throws -> (server: TCPServer, task: Task<Void, any Error>) {
    let listener = try TCPListener.bind(host: "127.0.0.1", port: 0, group: group)
    let server = makeEchoServer(
        listener: listener,
        maxConnections: maxConnections,
        idleTimeout: idleTimeout,
        uncopied: uncopied,
        logger: logger
    )
    return (server, Task { try await server.run() })
}

/// The echo server ``runEchoServer(group:maxConnections:idleTimeout:uncopied:logger:)`` runs,
/// not yet running: connections wait in `listener`'s backlog until the caller runs it.
func makeEchoServer(
    listener: TCPListener,
    maxConnections: Int? = nil,
    idleTimeout: Duration? = nil,
    uncopied: Bool = false,
    logger: Logger = Logger(label: "AsyncUringSocket.TCPServer")
) -> TCPServer {
    TCPServer(
        listener: listener,
        gracePeriod: .seconds(1),
        maxConnections: maxConnections,
        idleTimeout: idleTimeout,
        logger: logger
    ) { connection in
        if uncopied {
            while let bytes = try await connection.receiveBytes() { try await connection.send(bytes) }
            return
        }
        var buffer = [UInt8](repeating: 0, count: 16384)
        while let count = try await connection.receive(into: &buffer) {
            try await connection.send(buffer[..<count])
        }
    }
}

/// Runs `body` with SIGPIPE's default action, which ends the process: a send that raised
/// SIGPIPE would end the test run instead of passing by accident when the test harness
/// ignores the signal. The previous action is restored afterwards.
func withDefaultSIGPIPE<T>(
    isolation: isolated (any Actor)? = #isolation,
    _ body: () async throws -> T
) async rethrows -> T {
    let previous = signal(SIGPIPE, SIG_DFL)
    defer { signal(SIGPIPE, previous) }
    return try await body()
}

/// Whether `task` finishes within `limit`; it is left running when it does not.
func finishes<T: Sendable, Failure: Error>(_ task: Task<T, Failure>, within limit: Duration) async -> Bool {
    let done = Flag()
    let watcher = Task {
        _ = try? await task.value
        done.set()
    }
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if done.isSet { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    watcher.cancel()
    return done.isSet
}

/// A flag set once, from any thread.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}

/// Sends 64 KiB sends on `connection`, whose peer never reads, until one has to wait for
/// room: then the socket buffers and the send queue are full and a send request stays in
/// flight. The waiting send is cancelled (its bytes are not queued), so nobody waits for it.
func fillUntilTheSendQueueIsFull(_ connection: TCPConnection) async throws {
    let chunk = pattern(count: 65536)
    for _ in 0..<1024 {
        let sending = Task { try await connection.send(chunk) }
        if await !finishes(sending, within: .milliseconds(500)) {
            sending.cancel()
            _ = await sending.result
            return
        }
        try await sending.value
    }
    Issue.record("64 MiB went into a peer that never reads")
}
