import AsyncUring

/// What `uring-bench doctor` found, and what it advises.
struct DoctorReport: Sendable {
    /// What the runtime got when it set a ring up.
    enum RingSetup: Sendable, Equatable {
        case ready(flags: String, hasRegisteredRingFD: Bool)
        case failed(operation: String, errno: Int32, description: String)
    }

    /// The driver rings get when their configuration leaves the choice automatic.
    enum Driver: Sendable, Equatable {
        /// `fallbackReason`: why io_uring was refused, when the choice fell back to epoll.
        case running(RingDriver, fallbackReason: String?)
        /// `RingGroup()` throws.
        case failed(description: String)
    }

    var facts: SystemFacts
    var ringSetup: RingSetup
    var checks: [OperationCheck]
    /// The kernel's answer to `IORING_REGISTER_PROBE`, or why there is none.
    var probe: Result<RingProbe, RingError>?
    /// What `RingGroup()` runs on here; nil when not looked at.
    var driver: Driver?

    /// The oldest kernel the runtime supports.
    static let minimumKernel = (major: 6, minor: 1)

    /// Whether programs on AsyncUring work here: a ring was set up and every operation the
    /// runtime uses worked.
    var isUsable: Bool {
        guard case .ready = ringSetup else { return false }
        return checks.allSatisfy(\.isSuccess) && missingOperations.isEmpty && !predatesRuntimeFeatures
    }

    /// The report, one line each.
    var lines: [String] {
        var lines = [
            "kernel: \(facts.kernel)",
            "io_uring_disabled: \(Self.describeDisabled(facts.ioUringDisabled, group: facts.ioUringGroup))",
            "seccomp: \(Self.describeSeccomp(facts.seccompMode))",
            "RLIMIT_MEMLOCK: \(Self.describeMemlock(soft: facts.memlockSoft, hard: facts.memlockHard))",
        ]
        switch ringSetup {
        case .ready(let flags, let registered):
            lines.append("ring set-up: ok, flags \(flags), registered ring fd: \(registered ? "yes" : "no")")
        case .failed(_, _, let description):
            lines.append("ring set-up: failed: \(description)")
        }
        switch driver {
        case .running(let driver, let fallbackReason)?:
            lines.append("driver: \(driver.description(fallbackReason: fallbackReason))")
        case .failed(let description)?:
            lines.append("driver: none, RingGroup() throws: \(description)")
        case nil:
            break
        }
        lines += probeLines
        if !checks.isEmpty {
            lines.append("operations the runtime uses, tried on loopback:")
            for check in checks {
                let status = check.failure.map { "FAILED (\($0))" } ?? "ok"
                lines.append("  \(check.operations) for \(check.purpose): \(status)")
            }
        }
        let advice = self.advice
        if !advice.isEmpty {
            lines.append("advice:")
            lines += advice.map { "  - \($0)" }
        }
        lines.append(verdict)
        return lines
    }

    private var probeLines: [String] {
        switch probe {
        case nil:
            return []
        case .failure(let error):
            return ["kernel operations: no probe: \(error)"]
        case .success(let probe):
            let supported = probe.supportedOpcodes.sorted()
            let missing = missingOperations
            let names = supported.map { RingProbe.name(ofOpcode: $0).dropFirst("IORING_OP_".count) }
            return [
                "kernel operations: \(supported.count) supported, up to \(RingProbe.name(ofOpcode: probe.lastOpcode))",
                "  supported: " + names.joined(separator: " "),
                missing.isEmpty
                    ? "  the runtime's operations: all supported"
                    : "  the runtime's operations: missing "
                        + missing.map(RingProbe.name(ofOpcode:)).joined(separator: ", "),
            ]
                + (probe.predatesRuntimeFeatures
                    ? ["  the runtime's features: missing (\(probe.runtimeShortfall ?? ""))"] : [])
        }
    }

    /// Operations the runtime submits that the kernel's probe says it lacks.
    var missingOperations: [UInt8] {
        guard case .success(let probe) = probe else { return [] }
        return probe.missingRuntimeOperations
    }

    /// Whether the kernel's io_uring predates Linux 6.0's features the runtime uses.
    var predatesRuntimeFeatures: Bool {
        guard case .success(let probe) = probe else { return false }
        return probe.predatesRuntimeFeatures
    }

    var verdict: String {
        switch ringSetup {
        case .ready(let flags, _) where isUsable:
            "verdict: io_uring is usable; the runtime sets rings up with \(flags)"
        case .ready:
            "verdict: io_uring rings can be set up, but operations the runtime needs failed"
        case .failed where isRunningOnEpoll:
            "verdict: io_uring is NOT usable here; programs still run, on the epoll fallback"
        case .failed:
            "verdict: io_uring is NOT usable here; RingGroup() throws RingError"
        }
    }

    /// Whether rings with the automatic choice run on the epoll fallback here.
    var isRunningOnEpoll: Bool {
        guard case .running(.epoll, _) = driver else { return false }
        return true
    }

    /// What to do about what was found; empty when nothing needs doing.
    var advice: [String] {
        var advice: [String] = []
        if let version = facts.kernelVersion,
            (version.major, version.minor) < (Self.minimumKernel.major, Self.minimumKernel.minor)
        {
            advice.append(
                "kernel \(version.major).\(version.minor) is older than \(Self.minimumKernel.major)."
                    + "\(Self.minimumKernel.minor), the oldest the runtime supports: upgrade the kernel"
            )
        }
        switch facts.ioUringDisabled {
        case 2:
            advice.append(
                "io_uring is disabled for every process (sysctl kernel.io_uring_disabled = 2): as root, "
                    + "`sysctl -w kernel.io_uring_disabled=0` (persist it in /etc/sysctl.d/)"
            )
        case 1 where !facts.isRoot:
            advice.append(
                "io_uring is limited to CAP_SYS_ADMIN and members of group "
                    + "\(facts.ioUringGroup.map(String.init) ?? "kernel.io_uring_group") "
                    + "(sysctl kernel.io_uring_disabled = 1): add the user to that group, or "
                    + "`sysctl -w kernel.io_uring_disabled=0`"
            )
        default:
            break
        }
        let missing = missingOperations
        if !missing.isEmpty {
            advice.append(
                "the kernel lacks io_uring operations the runtime uses (\(missing.map(RingProbe.name(ofOpcode:)).joined(separator: ", "))): "
                    + "upgrade to Linux \(Self.minimumKernel.major).\(Self.minimumKernel.minor) or later"
            )
        } else if predatesRuntimeFeatures {
            advice.append(
                "the kernel's io_uring predates Linux 6.0's multishot receives and sends with an address, which the "
                    + "runtime uses: upgrade to Linux \(Self.minimumKernel.major).\(Self.minimumKernel.minor) or later"
            )
        }
        guard case .failed(_, let errno, _) = ringSetup else { return advice }
        if facts.seccompMode == 2 && facts.ioUringDisabled != 2 {
            advice.append(
                "a seccomp filter is active (Seccomp: 2) and may block io_uring_setup, io_uring_enter and "
                    + "io_uring_register (container runtimes' default profiles often do): run with a profile that "
                    + "allows them, e.g. `docker run --security-opt seccomp=PROFILE.json`"
            )
        }
        switch errno {
        case 12:  // ENOMEM
            advice.append(
                "the ring's memory could not be locked (ENOMEM): raise RLIMIT_MEMLOCK (`ulimit -l`, "
                    + "LimitMEMLOCK= in a systemd unit) or use fewer or smaller rings (RingConfiguration)"
            )
        case 38:  // ENOSYS
            advice.append("the kernel has no io_uring (ENOSYS): it is built without CONFIG_IO_URING or too old")
        case 95 where missing.isEmpty && !predatesRuntimeFeatures:  // EOPNOTSUPP, found at set-up
            advice.append(
                "the kernel's io_uring lacks what the runtime needs (see ring set-up): upgrade to Linux "
                    + "\(Self.minimumKernel.major).\(Self.minimumKernel.minor) or later"
            )
        case 1, 13:  // EPERM, EACCES
            if advice.isEmpty {
                advice.append(
                    "io_uring_setup was refused (\(errno == 1 ? "EPERM" : "EACCES")) for no reason found above: "
                        + "check security modules (SELinux, AppArmor) and the container's seccomp profile"
                )
            }
        default:
            break
        }
        return advice
    }

    static func describeDisabled(_ value: Int?, group: Int?) -> String {
        switch value {
        case nil: "not present (kernels before 6.6 cannot disable io_uring by sysctl)"
        case 0: "0 (enabled)"
        case 1: "1 (only CAP_SYS_ADMIN and members of group \(group.map(String.init) ?? "?"))"
        case 2: "2 (disabled for every process)"
        case let other?: "\(other) (unknown value)"
        }
    }

    static func describeSeccomp(_ mode: Int?) -> String {
        switch mode {
        case nil: "unknown (no Seccomp line in /proc/self/status)"
        case 0: "0 (no filter)"
        case 1: "1 (strict: only read, write, exit and sigreturn)"
        case 2: "2 (filter: some system calls may be blocked)"
        case let other?: "\(other) (unknown mode)"
        }
    }

    static func describeMemlock(soft: UInt64?, hard: UInt64?) -> String {
        func size(_ bytes: UInt64?) -> String {
            guard let bytes else { return "unlimited" }
            return bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes >> 10) KiB"
        }
        return "soft \(size(soft)), hard \(size(hard)) (since 5.12 rings are charged to the memory cgroup instead)"
    }
}
