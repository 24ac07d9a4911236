import Foundation

/// What the system says about io_uring before a ring is even tried: the kernel, the
/// `kernel.io_uring_disabled` sysctl, the process's seccomp mode and its `RLIMIT_MEMLOCK`.
struct SystemFacts: Sendable, Equatable {
    /// `uname -srvm`.
    var kernel: String
    /// The kernel release's major and minor version, e.g. (6, 18).
    var kernelVersion: (major: Int, minor: Int)?
    /// `/proc/sys/kernel/io_uring_disabled`: 0 enabled, 1 only for members of
    /// `kernel.io_uring_group` and CAP_SYS_ADMIN, 2 disabled; nil when the file is missing
    /// (kernels before 6.6, where no sysctl can disable io_uring).
    var ioUringDisabled: Int?
    /// `/proc/sys/kernel/io_uring_group` (meaningful when `ioUringDisabled` is 1).
    var ioUringGroup: Int?
    /// `Seccomp:` of /proc/self/status: 0 none, 1 strict, 2 filter.
    var seccompMode: Int?
    /// `RLIMIT_MEMLOCK` soft and hard limits in bytes; nil stands for unlimited.
    var memlockSoft: UInt64?
    var memlockHard: UInt64?
    /// Whether the process runs as root (CAP_SYS_ADMIN passes `io_uring_disabled = 1`).
    var isRoot: Bool

    static func == (lhs: SystemFacts, rhs: SystemFacts) -> Bool {
        lhs.kernel == rhs.kernel && lhs.kernelVersion?.major == rhs.kernelVersion?.major
            && lhs.kernelVersion?.minor == rhs.kernelVersion?.minor && lhs.ioUringDisabled == rhs.ioUringDisabled
            && lhs.ioUringGroup == rhs.ioUringGroup && lhs.seccompMode == rhs.seccompMode
            && lhs.memlockSoft == rhs.memlockSoft && lhs.memlockHard == rhs.memlockHard && lhs.isRoot == rhs.isRoot
    }

    /// Reads the facts of this process.
    static func current() -> SystemFacts {
        var names = utsname()
        uname(&names)
        let release = field(names.release)
        let kernel = [field(names.sysname), release, field(names.version), field(names.machine)]
            .joined(separator: " ")
        // RLIM_INFINITY is ((rlim_t) -1), which Swift does not import.
        let unlimited = rlim_t.max
        var limit = rlimit()
        // glibc defines RLIMIT_MEMLOCK as a macro over the enum member __RLIMIT_MEMLOCK.
        getrlimit(Int32(__RLIMIT_MEMLOCK.rawValue), &limit)
        return SystemFacts(
            kernel: kernel,
            kernelVersion: parseKernelVersion(release),
            ioUringDisabled: readInteger("/proc/sys/kernel/io_uring_disabled"),
            ioUringGroup: readInteger("/proc/sys/kernel/io_uring_group"),
            seccompMode: (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)).flatMap(parseSeccomp),
            memlockSoft: limit.rlim_cur == unlimited ? nil : UInt64(limit.rlim_cur),
            memlockHard: limit.rlim_max == unlimited ? nil : UInt64(limit.rlim_max),
            isRoot: geteuid() == 0
        )
    }

    /// "6.18.0-1-amd64" gives (6, 18).
    static func parseKernelVersion(_ release: String) -> (major: Int, minor: Int)? {
        let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard parts.count == 2 else { return nil }
        return (parts[0], parts[1])
    }

    /// The `Seccomp:` value of /proc/self/status text.
    static func parseSeccomp(_ status: String) -> Int? {
        for line in status.split(separator: "\n") where line.hasPrefix("Seccomp:") {
            return Int(line.dropFirst("Seccomp:".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    private static func readInteger(_ path: String) -> Int? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private static func field<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
