#ifndef YIZHAN_CLINUX_H
#define YIZHAN_CLINUX_H

#include <stdbool.h>

/// Whether the kernel considers the system clock synchronised: adjtimex(2) returns
/// TIME_ERROR while it does not, which is what timedatectl reports as "System clock
/// synchronized: no".
bool yizhan_clock_is_synchronised(void);

#endif
