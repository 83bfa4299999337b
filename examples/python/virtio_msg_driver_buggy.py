#!/usr/bin/env python3
"""virtio_msg_driver.py with the reset bug Zephyr's virtio-mmio driver had (issue 115149): the
reset poll tests BIT(0x70) instead of the status, so it never waits. The device, left running by a
previous owner, answers the write of 0 with its old status and completes the reset a moment later;
the driver goes on at once and writes ACKNOWLEDGE to a device still resetting.

    npx virtio-verify validate --impl "python3 examples/python/virtio_msg_driver_buggy.py" --role driver --scheme transport-msg
"""
import os
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ next to the examples
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from virtio_msg_driver import GET_DEVICE_STATUS, Driver  # noqa: E402


class BuggyDriver(Driver):
    def reset(self):
        status = self.set_status(0)
        while status & (1 << 0x70):  # BUG: BIT(0x70) where the status was meant
            (status,) = struct.unpack("<I", self.request(GET_DEVICE_STATUS))
        self.status = 0


if __name__ == "__main__":
    sys.exit(BuggyDriver().run())
