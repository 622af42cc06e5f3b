#include "CLinux.h"

#include <sys/timex.h>

bool yizhan_clock_is_synchronised(void) {
    struct timex state = {0};
    return adjtimex(&state) != TIME_ERROR;
}
