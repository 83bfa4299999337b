#!/usr/bin/env python3
"""A small virtio-msg driver speaking the wire format on stdout (requests, EVENT_AVAIL) and stdin
(responses, events), each message framed by the msg_size of its 8-byte header. Validate it with:

    npx virtio-verify validate --impl "python3 examples/python/virtio_msg_driver.py" --role driver --scheme transport-msg

It initialises the device as the virtio spec orders it (reset and wait for status 0, ACKNOWLEDGE,
DRIVER, features, FEATURES_OK read back, config, queues, DRIVER_OK), notifies every queue once,
waits for the device to announce the used buffers, and exits.
"""
import struct
import sys

ACK, DRIVER, DRIVER_OK, FEATURES_OK, FAILED = 1, 2, 4, 8, 128
WANTED = {17, 18, 32, 40}  # virtio-net CTRL_VQ, CTRL_RX; VERSION_1, RING_RESET
DEPENDS = {18: {17}}  # CTRL_RX needs CTRL_VQ
QUEUE_SIZE = 4
RESPONSE = 1
GET_DEVICE_INFO, GET_DEVICE_FEATURES, SET_DRIVER_FEATURES, GET_CONFIG = 0x02, 0x03, 0x04, 0x05
GET_DEVICE_STATUS, SET_DEVICE_STATUS, GET_VQUEUE, SET_VQUEUE = 0x07, 0x08, 0x09, 0x0A
EVENT_AVAIL, EVENT_USED = 0x41, 0x42
MAX_MSG = 52  # the bus's maximum message size (the draft's minimum)


def read_exactly(n):
    data = b""
    while len(data) < n:
        chunk = sys.stdin.buffer.read(n - len(data))
        if not chunk:
            sys.exit("the device went away")
        data += chunk
    return data


class Driver:
    def __init__(self):
        self.token = 0
        self.used = set()  # queues the device announced used buffers for
        self.status = 0

    def write(self, mid, token, fmt="", *values):
        payload = struct.pack("<" + fmt, *values) if fmt else b""
        sys.stdout.buffer.write(struct.pack("<BBHHH", 0, mid, 0, token, 8 + len(payload)) + payload)
        sys.stdout.buffer.flush()

    def receive(self):
        typ, mid, _dev, token, size = struct.unpack("<BBHHH", read_exactly(8))
        body = read_exactly(size - 8)
        if not typ & RESPONSE and mid == EVENT_USED:
            self.used.add(struct.unpack_from("<I", body)[0])
        return typ, mid, token, body

    def request(self, mid, fmt="", *values):
        """Sends a request and returns the body of its response (events meanwhile are noted)."""
        self.token = self.token % 0xFFFF + 1
        self.write(mid, self.token, fmt, *values)
        while True:
            typ, rmid, token, body = self.receive()
            if typ & RESPONSE and rmid == mid and token == self.token:
                return body

    def set_status(self, status):
        (self.status,) = struct.unpack("<I", self.request(SET_DEVICE_STATUS, "I", status))
        return self.status

    def reset(self):
        status = self.set_status(0)
        while status != 0:  # the reset is complete only once the device reports 0
            (status,) = struct.unpack("<I", self.request(GET_DEVICE_STATUS))
        self.status = 0

    def negotiate(self, blocks):
        body = self.request(GET_DEVICE_FEATURES, "II", 0, blocks)
        _index, count = struct.unpack_from("<II", body)
        words = struct.unpack_from("<%dI" % count, body, 8)
        offered = {32 * b + i for b, w in enumerate(words) for i in range(32) if w >> i & 1}
        accepted = WANTED & offered
        while any(not DEPENDS.get(f, set()) <= accepted for f in accepted):
            accepted = {f for f in accepted if DEPENDS.get(f, set()) <= accepted}
        selected = [sum(1 << (f % 32) for f in accepted if f // 32 == b) for b in range(blocks)]
        self.request(SET_DRIVER_FEATURES, "II%dI" % blocks, 0, blocks, *selected)
        return self.set_status(self.status | FEATURES_OK) & FEATURES_OK

    def setup_queue(self, index):
        max_size = struct.unpack_from("<II", self.request(GET_VQUEUE, "I", index))[1]
        size = min(QUEUE_SIZE, max_size)
        base = 0x10000 * (index + 1)
        self.request(SET_VQUEUE, "IIIIQQQ", index, 1, size, 0, base, base + 0x1000, base + 0x2000)  # flags 1: enable
        flags = struct.unpack_from("<IIII", self.request(GET_VQUEUE, "I", index))[3]
        return flags & 1

    def run(self):
        info = struct.unpack("<II16sIIIII", self.request(GET_DEVICE_INFO))
        blocks, config_size, queues = min(info[3], 2), info[4], info[5]
        self.reset()
        self.set_status(ACK)
        self.set_status(ACK | DRIVER)
        if not self.negotiate(blocks):
            self.set_status(self.status | FAILED)  # the device refused the features
            return 1
        for offset in range(0, config_size, MAX_MSG - 20):
            self.request(GET_CONFIG, "II", offset, min(MAX_MSG - 20, config_size - offset))
        if not all(self.setup_queue(i) for i in range(queues)):
            self.set_status(self.status | FAILED)
            return 1
        self.set_status(self.status | DRIVER_OK)
        for i in range(queues):
            self.write(EVENT_AVAIL, 0, "II", i, 0)
        while len(self.used) < queues:
            self.receive()
        return 0


if __name__ == "__main__":
    sys.exit(Driver().run())
