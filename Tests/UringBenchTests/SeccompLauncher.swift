import SystemPackage

@testable import uring_bench

/// Runs a program with io_uring refused, as a container's seccomp profile refuses it:
/// python3 installs a seccomp filter that fails io_uring_setup (syscall 425 on every
/// architecture) with an errno (EPERM as Docker's profile does, ENOSYS as a kernel built
/// without io_uring does, or any other), then execs the program, which keeps the PID and
/// the filter.
enum SeccompLauncher {
    static let python = "/usr/bin/python3"

    /// Whether python3 is there to install the filter.
    static var isAvailable: Bool { isExecutable(python) }

    static let script = """
        import ctypes, os, struct, sys
        libc = ctypes.CDLL(None, use_errno=True)
        code = [(0x20, 0, 0, 0), (0x15, 0, 1, 425), (0x06, 0, 0, 0x00050000 | int(sys.argv[1])), (0x06, 0, 0, 0x7fff0000)]
        program = b"".join(struct.pack("HBBI", *instruction) for instruction in code)
        buffer = ctypes.create_string_buffer(program)
        fprog = struct.pack("HxxxxxxQ", len(code), ctypes.addressof(buffer))
        assert libc.prctl(38, 1, 0, 0, 0) == 0  # PR_SET_NO_NEW_PRIVS
        assert libc.prctl(22, 2, ctypes.c_char_p(fprog), 0, 0) == 0  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        os.execv(sys.argv[2], sys.argv[2:])
        """

    /// The executable and arguments that run `executable` with `arguments` under a filter
    /// that fails io_uring_setup with `refusal`.
    static func command(
        _ executable: String,
        _ arguments: [String],
        refusal: Errno = .notPermitted
    ) -> (executable: String, arguments: [String]) {
        (python, ["-c", script, "\(refusal.rawValue)", executable] + arguments)
    }
}
