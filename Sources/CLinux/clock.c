#include "CLinux.h"

#include <stdint.h>
#include <sys/timerfd.h>
#include <sys/timex.h>
#include <unistd.h>

int yizhan_clock_synchronisation(void) {
    struct timex state = {0};
    int result = adjtimex(&state);
    if (result < 0) return -1;
    return result != TIME_ERROR;
}

int yizhan_clock_step_watch(void) {
    int watch = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
    if (watch < 0) return -1;
    struct itimerspec never = {.it_value = {.tv_sec = INT64_MAX}};
    if (timerfd_settime(watch, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &never, NULL) < 0) {
        close(watch);
        return -1;
    }
    return watch;
}
