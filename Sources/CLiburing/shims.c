// pthread_setname_np, accept4 and statx are GNU extensions: Swift's Glibc module is built without
// _GNU_SOURCE and does not declare them, so they are wrapped here.
#define _GNU_SOURCE
#include <pthread.h>
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
