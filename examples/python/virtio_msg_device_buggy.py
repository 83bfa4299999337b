#!/usr/bin/env python3
"""virtio_msg_device.py with a real ordering bug: the device decides which queues it serves when
the driver sets DRIVER_OK, so a queue the driver enables after DRIVER_OK (a queue provisioned
late, which the draft allows) never gets its buffers used: its notifications are lost.

    npx virtio-verify validate --impl "python3 examples/python/virtio_msg_device_buggy.py" --role device --scheme transport-msg
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ next to the examples
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from virtio_msg_device import DRIVER_OK, Device, serve  # noqa: E402


class BuggyDevice(Device):
    def set_status(self, new):
        was = self.status
        super().set_status(new)
        if self.status & DRIVER_OK and not was & DRIVER_OK:
            self.serving = {i for i, q in enumerate(self.queues) if q.enabled}  # BUG: a snapshot

    def reset(self):
        super().reset()
        self.serving = set()

    def on_avail(self, index, event):
        if self.live(index) and index in self.serving:
            return event(0x42, "I", index)
        return []


if __name__ == "__main__":
    serve(BuggyDevice())
