import Glibc

extension RingFile {
    /// Whether a file is opened for reading, writing or both.
    public struct AccessMode: Hashable, Sendable {
        public let rawValue: Int32

        public static let readOnly = AccessMode(rawValue: O_RDONLY)  // O_RDONLY
        public static let writeOnly = AccessMode(rawValue: O_WRONLY)  // O_WRONLY
        public static let readWrite = AccessMode(rawValue: O_RDWR)  // O_RDWR
    }

    /// How a file is opened, beside its access mode: flags of open(2).
    public struct OpenOptions: OptionSet, Hashable, Sendable {
        public let rawValue: Int32

        public init(rawValue: Int32) {
            self.rawValue = rawValue
        }

        /// Creates the file when it does not exist.
        public static let create = OpenOptions(rawValue: O_CREAT)  // O_CREAT
        /// With ``create``: fails with `EEXIST` when the file exists.
        public static let exclusive = OpenOptions(rawValue: O_EXCL)  // O_EXCL
        /// Truncates the file to length 0.
        public static let truncate = OpenOptions(rawValue: O_TRUNC)  // O_TRUNC
        /// Each write goes to the end of the file, whatever its offset.
        public static let append = OpenOptions(rawValue: O_APPEND)  // O_APPEND
        /// Reads that find nothing (a FIFO) fail with `EAGAIN` instead of blocking a
        /// system call; io_uring still waits for them by polling.
        public static let nonBlocking = OpenOptions(rawValue: O_NONBLOCK)  // O_NONBLOCK
        /// Writes return once the data and metadata reached the device.
        public static let synchronous = OpenOptions(rawValue: O_SYNC)  // O_SYNC
        /// Direct I/O: reads and writes go between the caller's memory and the device,
        /// bypassing the page cache. Offsets, lengths and memory must be aligned (see
        /// ``RingFile/directIOAlignment``): read into and write from an `AlignedBuffer`. A file
        /// system without direct I/O (tmpfs before Linux 6.6) refuses the open with `EINVAL`.
        public static let direct = OpenOptions(rawValue: directFlag)  // O_DIRECT

        // Glibc declares O_DIRECT for _GNU_SOURCE only; its value depends on the architecture.
        #if arch(arm64) || arch(arm)
        private static let directFlag: Int32 = 0o200000
        #else
        private static let directFlag: Int32 = 0o40000
        #endif
    }
}
