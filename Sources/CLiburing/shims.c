// pthread_setname_np, accept4, statx and epoll_pwait2 are GNU extensions: Swift's Glibc
// module is built without _GNU_SOURCE and does not declare them, so they are wrapped here.
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>

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
