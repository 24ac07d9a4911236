import Glibc

/// Ancillary data of `sendmsg`/`recvmsg` (cmsg(3)): the sizes `CMSG_LEN`/`CMSG_SPACE` give
/// and the walk `CMSG_FIRSTHDR`/`CMSG_NXTHDR` do, which are macros Swift does not import.
enum ControlMessages {
    /// `CMSG_ALIGN`: control messages are aligned to `size_t`.
    static func align(_ length: Int) -> Int {
        let alignment = MemoryLayout<Int>.size
        return (length + alignment - 1) & ~(alignment - 1)
    }

    /// `CMSG_LEN(0)`: where a control message's data begins.
    static var headerSpace: Int { align(MemoryLayout<cmsghdr>.size) }

    /// `CMSG_SPACE(payload)`: the room one control message takes.
    static func space(_ payload: Int) -> Int { headerSpace + align(payload) }

    /// Calls `body` with the level, type and data of each control message in the `length`
    /// bytes at `control`, as the kernel wrote them; a malformed length ends the walk.
    static func forEach(
        in control: UnsafeRawPointer,
        length: Int,
        _ body: (_ level: Int32, _ type: Int32, _ data: UnsafeRawBufferPointer) -> Void
    ) {
        var offset = 0
        while offset + MemoryLayout<cmsghdr>.size <= length {
            // SAFETY: the caller vouches for `length` bytes; every read below stays in them.
            let header = (control + offset).loadUnaligned(as: cmsghdr.self)
            let messageLength = Int(header.cmsg_len)
            guard messageLength >= headerSpace, offset + messageLength <= length else { return }
            let data = UnsafeRawBufferPointer(start: control + offset + headerSpace, count: messageLength - headerSpace)
            body(header.cmsg_level, header.cmsg_type, data)
            offset += align(messageLength)
        }
    }
}
