#ifndef CLIBURING_H
#define CLIBURING_H

#ifdef __linux__

// <features.h> must come before <liburing.h>: liburing defines _XOPEN_SOURCE/_GNU_SOURCE
// itself, which otherwise gives glibc's fd_set a definition that clashes with the one in
// Swift's Glibc module (debug builds fail to compile).
#include <features.h>
// The kernel's uapi header first: liburing 2.3 ships an older copy under the same include
// guard, and swift-system's CSystem module includes the kernel's. With one definition of the
// io_uring structs both modules import together.
#include <linux/io_uring.h>
#include <liburing.h>
// The kernel's `struct statx`, which liburing only declares: the statx requests fill it in.
#include <linux/stat.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/eventfd.h>

// The IOSQE_* flags are defined as `(1U << IOSQE_*_BIT)` over an enum, which Swift cannot
// import as constants.
static const uint8_t cliburing_iosqe_io_link = IOSQE_IO_LINK;
static const uint8_t cliburing_iosqe_async = IOSQE_ASYNC;
static const uint8_t cliburing_iosqe_buffer_select = IOSQE_BUFFER_SELECT;
static const uint8_t cliburing_iosqe_cqe_skip_success = IOSQE_CQE_SKIP_SUCCESS;

// IORING_CQE_BUFFER_SHIFT is an enum member of an anonymous enum; give it a plain constant.
static const unsigned cliburing_cqe_buffer_shift = IORING_CQE_BUFFER_SHIFT;

// The tail of a provided buffer ring, as the kernel reads it: the epoll driver takes buffers
// from the same ring (the field shares its place with the first buffer's `resv`).
static inline uint16_t cliburing_buf_ring_tail(struct io_uring_buf_ring *ring) {
    return __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
}

// accept4(2), a GNU extension Swift's Glibc module does not declare: the epoll driver's
// accept, which makes the new descriptor non-blocking in the same call.
int cliburing_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);

// statx(2), a GNU extension Swift's Glibc module does not declare: the epoll driver's statx,
// carried out on the ring thread.
int cliburing_statx(int directory, const char *path, int flags, unsigned int mask, struct statx *buffer);

// A close-on-exec pipe for splicing (pipe2(2) with O_CLOEXEC), grown to `capacity` bytes
// when the system allows (F_SETPIPE_SZ). Returns the pipe's capacity, or the negated errno.
int cliburing_splice_pipe(int fds[2], int capacity);

// splice(2) with SPLICE_F_NONBLOCK added, for the epoll driver, which carries out
// IORING_OP_SPLICE itself: an offset of -1 means the descriptor's own position (io_uring's
// convention), as a NULL offset pointer does for splice(2). Returns the bytes moved, or -1
// with errno set.
long cliburing_splice_nonblocking(int fd_in, long long off_in, int fd_out, long long off_out, unsigned long len, unsigned int flags);

// preadv2(2)/pwritev2(2) with RWF_NOWAIT, for the epoll driver's file reads and writes: the
// page cache serves them or they fail with EAGAIN instead of waiting for the disk (or for a
// pipe), as io_uring's first, nonblocking attempt does. `offset` -1 is the descriptor's own
// position. Returns the bytes moved, or -1 with errno set (EOPNOTSUPP where the file does not
// support RWF_NOWAIT).
long cliburing_rw_nowait(int fd, const struct iovec *iov, int count, long long offset, int write);

// Whether `fd` was opened with O_DIRECT (1), not (0), or -1 with errno set: direct I/O waits
// for the device even with RWF_NOWAIT, so the epoll driver hands it to a worker thread.
int cliburing_is_direct(int fd);

// Waits for epoll events at most `timeout_ns` nanoseconds (negative: for ever): with
// epoll_pwait2 (Linux 5.11), or where it is missing or refused (ENOSYS, EPERM from a seccomp
// profile), with epoll_wait in milliseconds rounded up. The epoll driver's timers need the
// finer one: a 1 us sleep would otherwise take a whole millisecond.
int cliburing_epoll_wait(int fd, struct epoll_event *events, int capacity, long long timeout_ns);

// Names the calling thread (at most 15 bytes), so profilers and `top -H` show ring threads.
int cliburing_set_thread_name(const char *name);

#endif  // __linux__
#endif  // CLIBURING_H
