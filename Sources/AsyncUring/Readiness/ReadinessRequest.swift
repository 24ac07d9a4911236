internal import CLiburing
import Glibc

/// What the epoll driver reads from one submission entry: the fields io_uring's prep
/// helpers set, copied at submission as the kernel copies them.
struct ReadinessOperation {
    var opcode: UInt8
    var sqeFlags: UInt8
    /// `ioprio`: the multishot flags of accept and receive.
    var ioprio: UInt16
    var fd: Int32
    /// `off` (`addr2`): a file offset, or accept's address length pointer, or connect's
    /// address length.
    var offset: UInt64
    /// `addr`: a buffer, an address, a path; a splice's input offset (`splice_off_in`).
    var address: UInt64
    var length: UInt32
    /// The union of per-opcode flags (`msg_flags`, `accept_flags`, `timeout_flags`, ...).
    var opFlags: UInt32
    var bufferGroup: UInt16
    /// `addr_len`: a send's destination address length (the address is in `addr2`), 0 for
    /// the connected peer.
    var addressLength: UInt16
    var userData: UInt64
    /// `splice_fd_in`: a splice's input (`fd` is its output).
    var spliceInput: Int32
    /// The descriptor whose readiness the request waits for: `fd`, or a splice's input when
    /// that has nothing to read.
    var waitDescriptor: Int32
    /// A non-blocking connect is under way: readiness means it ended.
    var isConnecting = false

    init(_ sqe: UnsafePointer<io_uring_sqe>) {
        opcode = sqe.pointee.opcode
        sqeFlags = sqe.pointee.flags
        ioprio = sqe.pointee.ioprio
        fd = sqe.pointee.fd
        offset = sqe.pointee.off
        address = sqe.pointee.addr
        length = sqe.pointee.len
        opFlags = sqe.pointee.msg_flags
        bufferGroup = sqe.pointee.buf_group
        addressLength = sqe.pointee.addr_len
        userData = sqe.pointee.user_data
        spliceInput = sqe.pointee.splice_fd_in
        waitDescriptor = fd
    }

    var pointer: UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: UInt(address)) }

    /// The flags of a socket call, never blocking.
    var messageFlags: Int32 { Int32(bitPattern: opFlags) | Int32(MSG_DONTWAIT) }

    var isMultishot: Bool {
        switch opcode {
        case ReadinessOpcode.accept: UInt32(ioprio) & IORING_ACCEPT_MULTISHOT != 0
        case ReadinessOpcode.receive, ReadinessOpcode.receiveMessage: UInt32(ioprio) & IORING_RECV_MULTISHOT != 0
        default: false
        }
    }
}

/// The io_uring opcodes the epoll driver knows, as `io_uring_sqe.opcode` values.
enum ReadinessOpcode {
    static let nop = UInt8(IORING_OP_NOP.rawValue)
    static let sendMessage = UInt8(IORING_OP_SENDMSG.rawValue)
    static let receiveMessage = UInt8(IORING_OP_RECVMSG.rawValue)
    static let timeout = UInt8(IORING_OP_TIMEOUT.rawValue)
    static let accept = UInt8(IORING_OP_ACCEPT.rawValue)
    static let cancel = UInt8(IORING_OP_ASYNC_CANCEL.rawValue)
    static let linkTimeout = UInt8(IORING_OP_LINK_TIMEOUT.rawValue)
    static let connect = UInt8(IORING_OP_CONNECT.rawValue)
    static let close = UInt8(IORING_OP_CLOSE.rawValue)
    static let read = UInt8(IORING_OP_READ.rawValue)
    static let readFixed = UInt8(IORING_OP_READ_FIXED.rawValue)
    static let writeFixed = UInt8(IORING_OP_WRITE_FIXED.rawValue)
    static let write = UInt8(IORING_OP_WRITE.rawValue)
    static let send = UInt8(IORING_OP_SEND.rawValue)
    static let receive = UInt8(IORING_OP_RECV.rawValue)
    static let shutdown = UInt8(IORING_OP_SHUTDOWN.rawValue)
    static let openAt = UInt8(IORING_OP_OPENAT.rawValue)
    static let readVector = UInt8(IORING_OP_READV.rawValue)
    static let writeVector = UInt8(IORING_OP_WRITEV.rawValue)
    static let fsync = UInt8(IORING_OP_FSYNC.rawValue)
    static let statx = UInt8(IORING_OP_STATX.rawValue)
    static let splice = UInt8(IORING_OP_SPLICE.rawValue)
}

/// A request the epoll driver holds: one that waits for its descriptor's readiness, or a
/// timeout waiting for its deadline.
///
/// Guarded by: ring thread.
final class ReadinessRequest {
    enum Interest {
        case read
        case write
        case timer
    }

    @exclusivity(unchecked) var operation: ReadinessOperation
    /// What it waits for on `operation.waitDescriptor`; a splice may change sides.
    @exclusivity(unchecked) var interest: Interest
    /// Set once its final completion was posted; a done request is skipped wherever it
    /// still sits (the timer heap, the retry list).
    @exclusivity(unchecked) var isDone = false
    /// The `IORING_OP_LINK_TIMEOUT` bounding this request, while both wait.
    @exclusivity(unchecked) var linkedTimeout: ReadinessRequest?
    /// For a linked timeout: the request it bounds, while both wait.
    @exclusivity(unchecked) var bounded: ReadinessRequest?
    /// For a timer: when it expires, in `CLOCK_MONOTONIC` nanoseconds.
    var deadline: UInt64 = 0

    init(_ operation: ReadinessOperation, interest: Interest) {
        self.operation = operation
        self.interest = interest
    }
}

/// A timer in the epoll driver's heap, earliest first.
struct ReadinessTimer: Comparable {
    let deadline: UInt64
    let sequence: UInt64
    let request: ReadinessRequest

    static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.deadline, lhs.sequence) < (rhs.deadline, rhs.sequence)
    }

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.deadline == rhs.deadline && lhs.sequence == rhs.sequence
    }
}

/// A provided buffer ring as the epoll driver consumes it: the same memory and layout the
/// kernel reads (`struct io_uring_buf_ring`), so ``ProvidedBuffers`` works unchanged. The
/// head is ours; the tail is where ``ProvidedBuffers`` adds buffers back.
struct UserBufferRing {
    let ring: UnsafeMutablePointer<io_uring_buf_ring>
    let groupID: UInt16
    let mask: UInt16
    var head: UInt16 = 0

    /// The next buffer, left in the ring until ``consume()``.
    func peek() -> io_uring_buf? {
        guard head != cliburing_buf_ring_tail(ring) else { return nil }
        // SAFETY: the ring's memory holds `mask + 1` entries (the tail shares the first
        // entry's `resv`, which is not read here).
        return UnsafeRawPointer(ring).assumingMemoryBound(to: io_uring_buf.self)[Int(head & mask)]
    }

    mutating func consume() {
        head &+= 1
    }
}
