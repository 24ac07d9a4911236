import AsyncUring

/// Open descriptors of this process, from /proc/self/fd.
func openDescriptorCount() -> Int {
    SocketSyscalls.openDescriptorCount() ?? -1
}
