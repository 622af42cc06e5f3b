#ifndef YIZHAN_CLINUX_H
#define YIZHAN_CLINUX_H

#include <stdbool.h>
#include <sys/types.h>

/// Whether the kernel considers the system clock synchronised: 1 or 0, or -1 when it may
/// not be asked (a system call filter, as the unit's ProtectClock= sets, refuses
/// adjtimex(2) even to read). adjtimex returns TIME_ERROR while it is not, which is what
/// timedatectl reports as "System clock synchronized: no".
int yizhan_clock_synchronisation(void);

/// A descriptor (non-blocking, closed on exec) that becomes readable each time the wall
/// clock is set rather than left to run (settimeofday, a time service's step): a
/// CLOCK_REALTIME timer armed for the end of time with TFD_TIMER_CANCEL_ON_SET, the way
/// systemd watches for time changes. Reading it then fails with ECANCELED, which clears
/// it. -1 and errno when it cannot be made.
int yizhan_clock_step_watch(void);

/// A socket (non-blocking, closed on exec) that becomes readable whenever a device is
/// added, removed or changed anywhere on the machine: the kernel's uevents and udev's,
/// through NETLINK_KOBJECT_UEVENT, which any user may listen to. -1 and errno when it
/// cannot be made.
int yizhan_device_events(void);

/// Names the calling thread as `ps -L` and /proc/PID/task/TID/comm show it (at most 15
/// bytes): pthread_setname_np(3), which Glibc's Swift module does not export.
void yizhan_name_this_thread(const char *name);

/// Asks the scheduler to run the calling thread in slices of `nanoseconds` (0: the
/// kernel's default), keeping its policy and nice value: sched_setattr(2)'s sched_runtime
/// for a SCHED_OTHER thread. From Linux 6.12 a woken thread with a shorter slice than the
/// one running preempts it; older kernels accept the value and ignore it. Threads the
/// caller starts afterwards inherit it. 0, or the errno the call failed with.
int yizhan_request_time_slice(unsigned long long nanoseconds);

/// The shortest slice Linux takes (0.1 ms), in nanoseconds.
static const unsigned long long yizhan_shortest_time_slice = 100000;

/// The job queue the calling thread takes its jobs from (nil on other threads), kept in a
/// thread-local variable, which Swift cannot declare.
void yizhan_set_current_job_queue(const void *queue);
const void *yizhan_current_job_queue(void);

/// A file in memory, closed on exec: memfd_create(2), which glibc declares only under
/// _GNU_SOURCE. Its descriptor, or -1 with errno set.
int yizhan_memory_file(const char *name);

/// The credentials SO_PEERCRED returns, laid out as the kernel's struct ucred (socket(7)),
/// which glibc declares only under _GNU_SOURCE, out of reach of Glibc's Swift module.
struct yizhan_peer_credentials {
    pid_t pid;
    uid_t uid;
    gid_t gid;
};

#endif
