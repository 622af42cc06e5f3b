#define _GNU_SOURCE
#include <pthread.h>

#include "CLinux.h"

void yizhan_name_this_thread(const char *name) {
    pthread_setname_np(pthread_self(), name);
}

static __thread const void *current_job_queue;

void yizhan_set_current_job_queue(const void *queue) {
    current_job_queue = queue;
}

const void *yizhan_current_job_queue(void) {
    return current_job_queue;
}
