#include <errno.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "CLinux.h"

int yizhan_device_events(void) {
    int socket_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
    if (socket_fd < 0) return -1;
    struct sockaddr_nl address;
    memset(&address, 0, sizeof address);
    address.nl_family = AF_NETLINK;
    // 1: the kernel's announcements, as it makes a device; 2: udev's, once it has given the
    // device its node's group and links (sent only where udev runs).
    address.nl_groups = 1 | 2;
    if (bind(socket_fd, (struct sockaddr *)&address, sizeof address) < 0) {
        int saved = errno;
        close(socket_fd);
        errno = saved;
        return -1;
    }
    return socket_fd;
}
