#pragma once

/// The version of this build: VERSION at the top of the tree, or make's VERSION=.
const char *yizhan_version(void);
