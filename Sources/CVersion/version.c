#include "CVersion.h"

// make writes .build/version.h (from VERSION, or `make VERSION=1.2.3`) before it builds,
// and rewrites it only when the version changes. The version lives in C, not Swift, so
// that a new one recompiles this file and relinks, not every module that shows it.
#if __has_include("../../.build/version.h")
#include "../../.build/version.h"
#else
#define YIZHAN_VERSION "0.0.0+unversioned"
#endif

const char *yizhan_version(void) { return YIZHAN_VERSION; }
