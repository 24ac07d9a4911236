import Glibc

/// Open descriptors of this process, from /proc/self/fd, for the tests' leak checks, except
/// Dispatch's timer descriptors.
///
/// Dispatch makes a timerfd for a clock the first time a timer of that clock (a `Task.sleep`)
/// has to wait, in whichever test that happens, and keeps it: a 1 ms sleep before the first
/// count may expire before Dispatch arms it, and did under ThreadSanitizer. Nothing in this
/// package makes a timerfd.
public func openDescriptorCount() -> Int {
    guard let directory = opendir("/proc/self/fd") else { return -1 }
    defer { closedir(directory) }
    let timer = "anon_inode:[timerfd]".utf8.map { CChar(bitPattern: $0) }
    var target = [CChar](repeating: 0, count: 64)
    var count = 0
    while let entry = readdir(directory) {
        // "." and ".." are not links (-1).
        let length = withUnsafeBytes(of: entry.pointee.d_name) { name in
            readlinkat(dirfd(directory), name.baseAddress!.assumingMemoryBound(to: CChar.self), &target, target.count)
        }
        if length >= 0 && !target[..<length].elementsEqual(timer) { count += 1 }
    }
    return count - 1  // the directory's own descriptor
}
