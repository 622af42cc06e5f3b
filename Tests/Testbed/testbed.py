#!/usr/bin/python3
"""Runs a program among emulated devices that come and go on command.

    umockdev-wrapper /usr/bin/python3 testbed.py CONTROL -- PROGRAM [ARGS...]

Commands arrive one per line on the FIFO CONTROL:

    add FILE              add the devices described in FILE (umockdev format)
    write NODE HEX        the device at NODE sends these bytes (input events, HID reports)
    unplug NODE SYSPATH…  hang NODE up as the kernel does on unplug, then remove the
                          devices, children first

The program inherits the testbed, so it sees only the emulated sysfs and /dev. The script
exits with the program's status.
"""
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


def main():
    control, separator, program = sys.argv[1], sys.argv[2], sys.argv[3:]
    if separator != "--" or not program:
        sys.exit(__doc__)
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
        for syspath in syspaths:
            testbed.remove_device(syspath)
    else:
        print(f"testbed: unknown command {command!r}", file=sys.stderr)


if __name__ == "__main__":
    main()
