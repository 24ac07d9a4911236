internal import CLiburing

/// What `statx` reports about a file: its size, type and permissions, and its times.
///
/// Times are durations since the Unix epoch (1970-01-01 00:00:00 UTC).
public struct FileStatus: Hashable, Sendable {
    /// The size in bytes.
    public var size: Int64
    /// The file type and permission bits (`st_mode`), e.g. `0o100644` for a regular file
    /// readable by all and writable by its owner.
    public var mode: UInt32
    /// The number of hard links.
    public var linkCount: UInt32
    /// The inode number.
    public var inode: UInt64
    /// Last access.
    public var accessTime: Duration
    /// Last change of the contents.
    public var modificationTime: Duration
    /// Last change of the contents or the metadata (`st_ctime`).
    public var statusChangeTime: Duration
    /// Creation, when the file system records it (`STATX_BTIME`).
    public var creationTime: Duration?
    /// The alignment direct I/O (`O_DIRECT`) needs of the memory a read fills or a write
    /// takes, in bytes, when the file system reports it (`STATX_DIOALIGN`, Linux 6.1); 0 when
    /// the file does not support direct I/O.
    public var directIOMemoryAlignment: Int?
    /// The alignment direct I/O needs of file offsets and lengths, in bytes, when the file
    /// system reports it; 0 when the file does not support direct I/O.
    public var directIOOffsetAlignment: Int?

    /// The permission bits alone, e.g. `0o644`.
    public var permissions: UInt32 { mode & 0o7777 }
    /// Whether the file is a regular file (`S_IFREG`).
    public var isRegularFile: Bool { mode & 0o170000 == 0o100000 }
    /// Whether the file is a directory (`S_IFDIR`).
    public var isDirectory: Bool { mode & 0o170000 == 0o040000 }

    init(_ raw: statx) {
        size = Int64(bitPattern: raw.stx_size)
        mode = UInt32(raw.stx_mode)
        linkCount = raw.stx_nlink
        inode = raw.stx_ino
        accessTime = Self.duration(raw.stx_atime)
        modificationTime = Self.duration(raw.stx_mtime)
        statusChangeTime = Self.duration(raw.stx_ctime)
        creationTime = raw.stx_mask & UInt32(STATX_BTIME) != 0 ? Self.duration(raw.stx_btime) : nil
        let reportsAlignment = raw.stx_mask & UInt32(STATX_DIOALIGN) != 0
        directIOMemoryAlignment = reportsAlignment ? Int(raw.stx_dio_mem_align) : nil
        directIOOffsetAlignment = reportsAlignment ? Int(raw.stx_dio_offset_align) : nil
    }

    private static func duration(_ timestamp: statx_timestamp) -> Duration {
        .seconds(timestamp.tv_sec) + .nanoseconds(Int64(timestamp.tv_nsec))
    }
}
