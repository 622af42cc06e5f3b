// libxkbcommon: keycodes to text through a keyboard layout, for keyboard-wedge scanners.
#include <xkbcommon/xkbcommon.h>
