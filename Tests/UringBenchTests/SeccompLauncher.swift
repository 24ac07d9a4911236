import SystemPackage

@testable import uring_bench

/// Runs a program with io_uring refused, as a container's seccomp profile refuses it:
/// python3 installs a seccomp filter, then execs the program, which keeps the PID and the
/// filter. The filter fails io_uring_setup (syscall 425 on every architecture) with an errno
/// (EPERM as Docker's profile does, ENOSYS as a kernel built without io_uring does, or any
/// other), or lets io_uring be set up but fails its operation probe (io_uring_register,
/// syscall 427, with IORING_REGISTER_PROBE) with EINVAL, as a kernel before 5.6 does.
enum SeccompLauncher {
    /// What the filter refuses.
    enum Refusal: Sendable {
        /// io_uring_setup, with this errno.
        case setup(Errno)
        /// IORING_REGISTER_PROBE, with EINVAL.
        case probe
    }

    static let python = "/usr/bin/python3"

    /// Whether python3 is there to install the filter.
    static var isAvailable: Bool { isExecutable(python) }

    static let script = """
        import ctypes, os, struct, sys
        libc = ctypes.CDLL(None, use_errno=True)
        ALLOW, ERRNO = 0x7fff0000, 0x00050000
        if sys.argv[1] == "probe":
            # seccomp_data: nr at 0, io_uring_register's opcode (args[1]) at 24.
            code = [(0x20, 0, 0, 0), (0x15, 0, 3, 427), (0x20, 0, 0, 24), (0x15, 0, 1, 8),
                    (0x06, 0, 0, ERRNO | 22), (0x06, 0, 0, ALLOW)]
        else:
            code = [(0x20, 0, 0, 0), (0x15, 0, 1, 425), (0x06, 0, 0, ERRNO | int(sys.argv[1])), (0x06, 0, 0, ALLOW)]
        program = b"".join(struct.pack("HBBI", *instruction) for instruction in code)
        buffer = ctypes.create_string_buffer(program)
        fprog = struct.pack("HxxxxxxQ", len(code), ctypes.addressof(buffer))
        assert libc.prctl(38, 1, 0, 0, 0) == 0  # PR_SET_NO_NEW_PRIVS
        assert libc.prctl(22, 2, ctypes.c_char_p(fprog), 0, 0) == 0  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        os.execv(sys.argv[2], sys.argv[2:])
        """

    /// The executable and arguments that run `executable` with `arguments` under a filter
    /// that refuses `refusal`.
    static func command(
        _ executable: String,
        _ arguments: [String],
        refusal: Refusal = .setup(.notPermitted)
    ) -> (executable: String, arguments: [String]) {
        let what =
            switch refusal {
            case .setup(let errno): "\(errno.rawValue)"
            case .probe: "probe"
            }
        return (python, ["-c", script, what, executable] + arguments)
    }
}
