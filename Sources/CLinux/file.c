#define _GNU_SOURCE
#include <sys/mman.h>

#include "CLinux.h"

int yizhan_memory_file(const char *name) {
    return memfd_create(name, MFD_CLOEXEC);
}
