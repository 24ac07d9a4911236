// pthread_setname_np, accept4, statx, epoll_pwait2, pipe2, splice, preadv2/pwritev2 and
// F_SETPIPE_SZ are GNU extensions: Swift's Glibc module is built without _GNU_SOURCE and does
// not declare them, so they are wrapped here.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <limits.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "CLiburing.h"

int cliburing_set_thread_name(const char *name) {
    return pthread_setname_np(pthread_self(), name);
}

int cliburing_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags) {
    return accept4(fd, address, length, flags);
}

int cliburing_statx(int directory, const char *path, int flags, unsigned int mask, struct statx *buffer) {
    return statx(directory, path, flags, mask, buffer);
}

int cliburing_splice_pipe(int fds[2], int capacity) {
    if (pipe2(fds, O_CLOEXEC) != 0) return -errno;
    // Unprivileged processes may grow a pipe up to /proc/sys/fs/pipe-max-size (1 MiB by
    // default); a refusal keeps the default, which is fine.
    if (capacity > 0) (void)fcntl(fds[1], F_SETPIPE_SZ, capacity);
    int size = fcntl(fds[1], F_GETPIPE_SZ);
    return size > 0 ? size : 65536;
}

long cliburing_splice_nonblocking(int fd_in, long long off_in, int fd_out, long long off_out, unsigned long len, unsigned int flags) {
    loff_t in = off_in, out = off_out;
    return splice(fd_in, off_in == -1 ? NULL : &in, fd_out, off_out == -1 ? NULL : &out, len, flags | SPLICE_F_NONBLOCK);
}

// Set once epoll_pwait2 failed with ENOSYS or EPERM; every ring thread then uses epoll_wait.
static int epoll_pwait2_unavailable;

int cliburing_epoll_wait(int fd, struct epoll_event *events, int capacity, long long timeout_ns) {
    if (!__atomic_load_n(&epoll_pwait2_unavailable, __ATOMIC_RELAXED)) {
        struct timespec timeout = {timeout_ns / 1000000000, timeout_ns % 1000000000};
        int ret = epoll_pwait2(fd, events, capacity, timeout_ns < 0 ? NULL : &timeout, NULL);
        if (ret >= 0 || (errno != ENOSYS && errno != EPERM)) return ret;
        __atomic_store_n(&epoll_pwait2_unavailable, 1, __ATOMIC_RELAXED);
    }
    long long ms = timeout_ns < 0 ? -1 : (timeout_ns + 999999) / 1000000;
    return epoll_wait(fd, events, capacity, ms > INT_MAX ? INT_MAX : (int)ms);
}

long cliburing_rw_nowait(int fd, const struct iovec *iov, int count, long long offset, int write) {
    return write ? pwritev2(fd, iov, count, offset, RWF_NOWAIT) : preadv2(fd, iov, count, offset, RWF_NOWAIT);
}

int cliburing_is_direct(int fd) {
    int flags = fcntl(fd, F_GETFL);
    return flags < 0 ? -1 : (flags & O_DIRECT) != 0;
}
