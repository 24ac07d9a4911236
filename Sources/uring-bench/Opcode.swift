/// io_uring opcode names, for `uring-bench doctor`: the kernel's `enum io_uring_op` in
/// order (include/uapi/linux/io_uring.h), without the `IORING_OP_` prefix. liburing 2.3's
/// headers stop at 48 (`SENDMSG_ZC`); the kernel may know more.
enum Opcode {
    static let names: [String] = [
        "NOP", "READV", "WRITEV", "FSYNC", "READ_FIXED", "WRITE_FIXED", "POLL_ADD", "POLL_REMOVE",
        "SYNC_FILE_RANGE", "SENDMSG", "RECVMSG", "TIMEOUT", "TIMEOUT_REMOVE", "ACCEPT", "ASYNC_CANCEL",
        "LINK_TIMEOUT", "CONNECT", "FALLOCATE", "OPENAT", "CLOSE", "FILES_UPDATE", "STATX", "READ", "WRITE",
        "FADVISE", "MADVISE", "SEND", "RECV", "OPENAT2", "EPOLL_CTL", "SPLICE", "PROVIDE_BUFFERS",
        "REMOVE_BUFFERS", "TEE", "SHUTDOWN", "RENAMEAT", "UNLINKAT", "MKDIRAT", "SYMLINKAT", "LINKAT",
        "MSG_RING", "FSETXATTR", "SETXATTR", "FGETXATTR", "GETXATTR", "SOCKET", "URING_CMD", "SEND_ZC",
        "SENDMSG_ZC", "READ_MULTISHOT", "WAITID", "FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_WAITV",
        "FIXED_FD_INSTALL", "FTRUNCATE", "BIND", "LISTEN", "RECV_ZC", "EPOLL_WAIT", "READV_FIXED",
        "WRITEV_FIXED", "PIPE",
    ]

    /// The opcodes the runtime submits.
    static let usedByRuntime: [UInt8] = [0, 11, 13, 14, 15, 16, 19, 22, 26, 27, 34]

    /// `IORING_OP_NAME`, or `IORING_OP_<n>` for an opcode newer than this table.
    static func name(_ opcode: UInt8) -> String {
        Int(opcode) < names.count ? "IORING_OP_\(names[Int(opcode)])" : "IORING_OP_<\(opcode)>"
    }
}
