// Every libgpiod call yizhand makes, in one place. The version is chosen at build time:
// GPIOD_LINE_BULK_MAX_LINES is defined only by libgpiod 1.x (Debian 12, Raspberry Pi OS
// bookworm). A libgpiod 2.x backend is the sibling branch below; until it is written, a
// build against 2.x reports ENOTSUP at run time, and the daemon runs without lights.
#ifndef YIZHAN_CGPIOD_SHIM_H
#define YIZHAN_CGPIOD_SHIM_H

#include <errno.h>
#include <gpiod.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef GPIOD_LINE_BULK_MAX_LINES

static inline int yizhan_gpiod_api_version(void) { return 1; }

/// gpiod_chip_open_lookup: a chip by name (gpiochip0), path (/dev/gpiochip0), label or number.
static inline void *yizhan_gpiod_chip_open(const char *description) { return gpiod_chip_open_lookup(description); }

static inline void yizhan_gpiod_chip_close(void *chip) { gpiod_chip_close((struct gpiod_chip *)chip); }

static inline const char *yizhan_gpiod_chip_label(void *chip) { return gpiod_chip_label((struct gpiod_chip *)chip); }

/// gpiod_chip_find_line: a line by its name, or NULL.
static inline void *yizhan_gpiod_line_find(void *chip, const char *name) {
    return gpiod_chip_find_line((struct gpiod_chip *)chip, name);
}

/// gpiod_chip_get_line: a line by its offset, or NULL.
static inline void *yizhan_gpiod_line_get(void *chip, unsigned int offset) {
    return gpiod_chip_get_line((struct gpiod_chip *)chip, offset);
}

/// gpiod_line_request_output_flags, active-low through the request flag.
static inline int yizhan_gpiod_line_request_output(void *line, const char *consumer, bool active_low, int value) {
    return gpiod_line_request_output_flags((struct gpiod_line *)line, consumer,
                                           active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0, value);
}

/// gpiod_line_request_both_edges_events_flags, for buttons.
static inline int yizhan_gpiod_line_request_edges(void *line, const char *consumer, bool active_low) {
    return gpiod_line_request_both_edges_events_flags((struct gpiod_line *)line, consumer,
                                                      active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0);
}

static inline int yizhan_gpiod_line_set_value(void *line, int value) {
    return gpiod_line_set_value((struct gpiod_line *)line, value);
}

/// gpiod_line_event_get_fd: readable when an edge is waiting.
static inline int yizhan_gpiod_line_event_fd(void *line) { return gpiod_line_event_get_fd((struct gpiod_line *)line); }

/// gpiod_line_event_read: one edge; rising is 1 for a rising edge (after active-low).
static inline int yizhan_gpiod_line_event_read(void *line, int *rising, int64_t *nanoseconds) {
    struct gpiod_line_event event;
    int result = gpiod_line_event_read((struct gpiod_line *)line, &event);
    if (result == 0) {
        *rising = event.event_type == GPIOD_LINE_EVENT_RISING_EDGE;
        *nanoseconds = (int64_t)event.ts.tv_sec * 1000000000 + event.ts.tv_nsec;
    }
    return result;
}

static inline void yizhan_gpiod_line_release(void *line) { gpiod_line_release((struct gpiod_line *)line); }

#else

static inline int yizhan_gpiod_api_version(void) { return 2; }
static inline void *yizhan_gpiod_chip_open(const char *description) { (void)description; errno = ENOTSUP; return 0; }
static inline void yizhan_gpiod_chip_close(void *chip) { (void)chip; }
static inline const char *yizhan_gpiod_chip_label(void *chip) { (void)chip; return ""; }
static inline void *yizhan_gpiod_line_find(void *chip, const char *name) { (void)chip; (void)name; errno = ENOTSUP; return 0; }
static inline void *yizhan_gpiod_line_get(void *chip, unsigned int offset) { (void)chip; (void)offset; errno = ENOTSUP; return 0; }
static inline int yizhan_gpiod_line_request_output(void *line, const char *consumer, bool active_low, int value) {
    (void)line; (void)consumer; (void)active_low; (void)value; errno = ENOTSUP; return -1;
}
static inline int yizhan_gpiod_line_request_edges(void *line, const char *consumer, bool active_low) {
    (void)line; (void)consumer; (void)active_low; errno = ENOTSUP; return -1;
}
static inline int yizhan_gpiod_line_set_value(void *line, int value) { (void)line; (void)value; errno = ENOTSUP; return -1; }
static inline int yizhan_gpiod_line_event_fd(void *line) { (void)line; errno = ENOTSUP; return -1; }
static inline int yizhan_gpiod_line_event_read(void *line, int *rising, int64_t *nanoseconds) {
    (void)line; (void)rising; (void)nanoseconds; errno = ENOTSUP; return -1;
}
static inline void yizhan_gpiod_line_release(void *line) { (void)line; }

#endif
#endif
