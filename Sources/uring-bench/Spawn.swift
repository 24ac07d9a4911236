import Foundation

/// The two ends of a pipe, both close-on-exec (set right after `pipe`: the runner spawns
/// one child at a time, so no spawn can slip in between).
struct PipeDescriptors {
    var read: Int32
    var write: Int32

    static func make(name: String) throws -> PipeDescriptors {
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else {
            throw RunnerError.launchFailed(name: name, detail: "pipe: \(String(cString: strerror(errno)))")
        }
        for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        return PipeDescriptors(read: descriptors[0], write: descriptors[1])
    }
}

/// `posix_spawn` with the runner's settings.
enum Spawn {
    struct Failure: Error, CustomStringConvertible {
        var code: Int32
        var description: String { String(cString: strerror(code)) }
    }

    /// Starts `executable` (a path) with stdin from /dev/null, stdout (and stderr, if given)
    /// onto the given descriptors, SIGINT, SIGTERM and SIGPIPE at their default action and
    /// an empty signal mask.
    /// - Returns: the child's PID.
    static func run(
        _ executable: String,
        arguments: [String],
        standardOutput: Int32,
        standardError: Int32?
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, standardOutput, 1)
        if let standardError { posix_spawn_file_actions_adddup2(&actions, standardError, 2) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGINT, SIGTERM, SIGPIPE] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        // C strings owned until posix_spawn returns (it has exec'd or failed by then).
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let environment = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for string in argv { free(string) }
            for string in environment { free(string) }
        }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, environment)
        guard result == 0 else { throw Failure(code: result) }
        return pid
    }
}
