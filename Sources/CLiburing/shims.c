// pthread_setname_np is a GNU extension: Swift's Glibc module is built without _GNU_SOURCE
// and does not declare it, so it is wrapped here.
#define _GNU_SOURCE
#include <pthread.h>

#include "CLiburing.h"

int cliburing_set_thread_name(const char *name) {
    return pthread_setname_np(pthread_self(), name);
}
