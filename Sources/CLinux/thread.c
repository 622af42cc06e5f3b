#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "CLinux.h"

void yizhan_name_this_thread(const char *name) {
    pthread_setname_np(pthread_self(), name);
}

/// sched_setattr(2)'s argument, its first version; glibc 2.36 declares neither the
/// structure nor a wrapper for the call.
struct yizhan_sched_attr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
};

int yizhan_request_time_slice(unsigned long long nanoseconds) {
    struct yizhan_sched_attr attr;
    memset(&attr, 0, sizeof attr);
    // Read first, so that the policy and nice value a unit set stay as they are.
    if (syscall(SYS_sched_getattr, 0, &attr, sizeof attr, 0) != 0) return errno;
    attr.size = sizeof attr;
    attr.sched_flags = 0;
    attr.sched_runtime = nanoseconds;
    return syscall(SYS_sched_setattr, 0, &attr, 0) == 0 ? 0 : errno;
}

static __thread const void *current_job_queue;

void yizhan_set_current_job_queue(const void *queue) {
    current_job_queue = queue;
}

const void *yizhan_current_job_queue(void) {
    return current_job_queue;
}
