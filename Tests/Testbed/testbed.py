#!/usr/bin/python3
"""Runs a program among emulated devices that come and go on command.

    umockdev-wrapper /usr/bin/python3 testbed.py CONTROL -- PROGRAM [ARGS...]

Commands arrive one per line on the FIFO CONTROL:

    add FILE              add the devices described in FILE (umockdev format)
    write NODE HEX        the device at NODE sends these bytes (input events, HID reports)
    unplug NODE SYSPATH…  hang NODE up as the kernel does on unplug, then remove the
                          devices, children first
    printer NODE FILE     NODE (a /dev/bus/usb node, attached before its device is added)
                          is a USB printer: its bulk OUT bytes, status requests taken out,
                          are appended to FILE; DLE EOT n is answered on bulk IN
    condition NODE WHAT   the printer is ready, offline, cover_open, paper_out,
                          paper_near_end or silent
    vanish NODE BYTES     the printer goes away after taking BYTES more bytes: every later
                          transfer fails with ENODEV, as on a pulled cable ("never": back)
    remove SYSPATH…       remove devices without hanging up a node (USB nodes are not ptys)
    sync N                write N to the FIFO CONTROL.done once every earlier command is done

The program inherits the testbed, so it sees only the emulated sysfs and /dev. The script
exits with the program's status.
"""
import errno
import os
import signal
import subprocess
import sys
import threading

import gi

gi.require_version("UMockdev", "1.0")
from gi.repository import UMockdev  # noqa: E402

# Ends of unplugged devices' ptys, kept open for the testbed's life.
HELD = []
# Emulated USB printers by device node.
PRINTERS = {}


def main():
    control, separator, program = sys.argv[1], sys.argv[2], sys.argv[3:]
    if separator != "--" or not program:
        sys.exit(__doc__)
    global testbed_control
    testbed_control = control
    testbed = UMockdev.Testbed.new()
    child = subprocess.Popen(program)
    lock = threading.Lock()

    def serve():
        # Opened for writing too, so that a writer closing it is not the end of the commands.
        with os.fdopen(os.open(control, os.O_RDWR), "r") as commands:
            for line in commands:
                words = line.split()
                if not words:
                    continue
                with lock:
                    run(testbed, words)

    threading.Thread(target=serve, daemon=True).start()
    # Stopped with the program: its status is what counts.
    signal.signal(signal.SIGTERM, lambda number, frame: child.send_signal(number))
    sys.exit(child.wait())


def run(testbed, words):
    command, arguments = words[0], words[1:]
    if command == "add":
        testbed.add_from_file(arguments[0])
    elif command == "write":
        os.write(testbed.get_dev_fd(arguments[0]), bytes.fromhex(arguments[1]))
    elif command == "printer":
        PRINTERS[arguments[0]] = USBPrinter(testbed, arguments[0], arguments[1])
    elif command == "condition":
        PRINTERS[arguments[0]].condition = arguments[1]
    elif command == "vanish":
        PRINTERS[arguments[0]].vanish_after = None if arguments[1] == "never" else int(arguments[1])
    elif command == "sync":
        answers = os.open(testbed_control + ".done", os.O_WRONLY)
        os.write(answers, (arguments[0] + "\n").encode())
        os.close(answers)
    elif command == "remove":
        remove(testbed, arguments)
    elif command == "unplug":
        node, syspaths = arguments[0], arguments[1:]
        # The emulated node is a pty. Holding its other end keeps the pty's number taken, so
        # the next device gets a new one, as umockdev requires; then replacing the node's
        # end with /dev/null hangs up the program's side, which reads end-of-file as from a
        # real unplugged device.
        HELD.append(os.open(node, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK))
        null = os.open("/dev/null", os.O_RDWR)
        os.dup2(null, testbed.get_dev_fd(node))
        os.close(null)
        remove(testbed, syspaths)
    else:
        print(f"testbed: unknown command {command!r}", file=sys.stderr)


def remove(testbed, syspaths):
    """Removes devices as the kernel does, saying so. umockdev removes a device without a
    uevent, and can send one only while the device is there, where the kernel sends its
    "remove" once the device has left its bus in sysfs: so the device's own "remove" goes
    first, and a "change" of its parent, still there, is the word a listener hears after
    the device has gone."""
    for syspath in syspaths:
        testbed.uevent(syspath, "remove")
        testbed.remove_device(syspath)
    parent = os.path.dirname(syspaths[-1])
    if os.path.isfile(os.path.join(testbed.get_root_dir(), parent.lstrip("/"), "uevent")):
        testbed.uevent(parent, "change")


# usbdevfs, from <linux/usbdevice_fs.h> on x86_64 and aarch64.
SUBMITURB, DISCARDURB, REAPURB, REAPURBNDELAY = 0x8038550A, 0x550B, 0x4008550C, 0x4008550D
CLAIMINTERFACE, RELEASEINTERFACE, GETDRIVER, GET_CAPABILITIES = 0x8004550F, 0x80045510, 0x41045508, 0x8004551A
URB_SIZE, URB_STATUS, URB_BUFFER, URB_BUFFER_LENGTH, URB_ACTUAL_LENGTH = 56, 4, 16, 24, 28
STATUS = {  # replies to DLE EOT 1, 2 and 4
    "ready": {}, "offline": {1: 0x1A}, "cover_open": {1: 0x1A, 2: 0x16},
    "paper_out": {4: 0x72}, "paper_near_end": {4: 0x1E},
}


def urb_fields(urb):
    """The endpoint and buffer length of a struct usbdevfs_urb. (Read with retrieve():
    the data field reaches Python cut at the first zero byte.)"""
    data = bytes(urb.retrieve())
    return data[1], int.from_bytes(data[URB_BUFFER_LENGTH : URB_BUFFER_LENGTH + 4], "little")


class USBPrinter:
    """A printer-class device behind usbdevfs: libusb's URBs are answered here."""

    def __init__(self, testbed, node, output):
        self.output = open(output, "ab", buffering=0)
        self.condition = "ready"
        self.vanish_after = None
        self.pending = b""  # OUT bytes that may start a status request
        self.replies = b""
        self.done = []  # URBs to reap
        self.waiting_in = []  # IN URBs with no reply yet
        self.handler = UMockdev.IoctlBase()
        self.handler.connect("handle-ioctl", self.ioctl)
        testbed.attach_ioctl(node, self.handler)

    def ioctl(self, handler, client):
        request = client.get_request()
        argument = client.get_arg()
        gone = self.vanish_after == 0
        if gone and (request in (SUBMITURB, CLAIMINTERFACE) or (request in (REAPURB, REAPURBNDELAY) and not self.done)):
            # Gone: nothing new is taken; what finished before can still be reaped.
            client.complete(-1, errno.ENODEV)
        elif request == GET_CAPABILITIES:
            argument.resolve(0, 4).update(0, list((0).to_bytes(4, "little")))
            client.complete(0, 0)
        elif request in (CLAIMINTERFACE, RELEASEINTERFACE):
            client.complete(0, 0)
        elif request == GETDRIVER:
            client.complete(-1, errno.ENODATA)  # no kernel driver bound
        elif request == SUBMITURB:
            self.submit(argument.resolve(0, URB_SIZE))
            client.complete(0, 0)
        elif request in (REAPURB, REAPURBNDELAY):
            self.answer_waiting()
            if not self.done:
                client.complete(-1, errno.EAGAIN)
                return True
            urb, status = self.done.pop(0)
            urb.update(URB_STATUS, list(status.to_bytes(4, "little", signed=True)))
            argument.resolve(0, 8).set_ptr(0, urb)
            client.complete(0, 0)
        elif request == DISCARDURB:
            address = int.from_bytes(bytes(argument.retrieve()[:8]), "little")
            for urb in self.waiting_in:
                if urb.client_addr == address:
                    self.waiting_in.remove(urb)
                    self.done.append((urb, -errno.ENOENT))
                    client.complete(0, 0)
                    return True
            client.complete(-1, errno.EINVAL)
        else:
            return False
        return True

    def submit(self, urb):
        endpoint, length = urb_fields(urb)
        if endpoint & 0x80:
            self.waiting_in.append(urb)
            return
        data = bytes(urb.resolve(URB_BUFFER, length).retrieve())
        if self.vanish_after is not None:
            data = data[: self.vanish_after]
            self.vanish_after -= len(data)
        self.take(data)
        urb.update(URB_ACTUAL_LENGTH, list(len(data).to_bytes(4, "little")))
        self.done.append((urb, 0 if self.vanish_after != 0 else -errno.ENODEV))

    def take(self, data):
        """Keeps the job bytes and answers the status requests among them."""
        self.pending += data
        job = b""
        while self.pending:
            if len(self.pending) >= 3 and self.pending[:2] == b"\x10\x04":
                if self.condition != "silent":
                    self.replies += bytes([STATUS[self.condition].get(self.pending[2], 0x12)])
                self.pending = self.pending[3:]
            elif len(self.pending) < 3 and self.pending[0] == 0x10:
                break
            else:
                job += self.pending[:1]
                self.pending = self.pending[1:]
        self.output.write(job)

    def answer_waiting(self):
        while self.replies and self.waiting_in:
            urb = self.waiting_in.pop(0)
            length = urb_fields(urb)[1]
            reply, self.replies = self.replies[:length], self.replies[length:]
            urb.resolve(URB_BUFFER, length).update(0, list(reply))
            urb.update(URB_ACTUAL_LENGTH, list(len(reply).to_bytes(4, "little")))
            self.done.append((urb, 0))


if __name__ == "__main__":
    main()
