#!/usr/bin/env python3
"""A small virtio-msg device speaking the wire format on stdin/stdout (one message after another,
each framed by the msg_size of its 8-byte header). Validate it with:

    npx virtio-verify validate --impl "python3 examples/python/virtio_msg_device.py" --role device --scheme transport-msg

It is the device docs/third-party.md describes for transport-msg: device id 1, two feature blocks
offering VIRTIO_NET_F_CTRL_RX (18, which needs CTRL_VQ, 17, not offered), VERSION_1 (32),
NOTIFICATION_DATA (38) and RING_RESET (40), 4 config bytes, 2 virtqueues of at most 8 entries.
"""
import struct
import sys

ACK, DRIVER, DRIVER_OK, FEATURES_OK, NEEDS_RESET, FAILED = 1, 2, 4, 8, 64, 128
OFFERED = {18, 32, 38, 40}
REQUIRED = {32}
DEPENDS = {18: {17}}
CONFIG = bytes([0x52, 0x54, 0x00, 0x01])
MAX_QUEUES, QUEUE_MAX = 2, 8
RESPONSE = 1


class Queue:
    def __init__(self):
        self.enabled, self.size, self.desc, self.driver, self.device = False, 0, 0, 0, 0


class Device:
    def __init__(self):
        self.reset()

    def reset(self):
        self.status = 0
        self.driver_features = set()
        self.negotiated = set()
        self.queues = [Queue() for _ in range(MAX_QUEUES)]

    # -- helpers --------------------------------------------------------------------------------
    def live(self, i):
        return i < MAX_QUEUES and self.status & DRIVER_OK and self.queues[i].enabled

    def features_acceptable(self, fs):
        if not fs <= OFFERED or not REQUIRED <= fs:
            return False
        return all(DEPENDS.get(f, set()) <= fs for f in fs)

    def set_status(self, new):
        if new == 0:
            self.reset()
            return
        if self.status & ~new:
            return  # bits may only be added (a write that clears one is refused)
        added = new & ~self.status
        order = [ACK, DRIVER, FEATURES_OK, DRIVER_OK]
        for bit in order:
            if added & bit:
                needed = order[: order.index(bit)]
                if any(not ((self.status | added) & b) for b in needed):
                    return
        if added & FEATURES_OK and not self.features_acceptable(self.driver_features):
            new &= ~FEATURES_OK
        if added & FEATURES_OK and new & FEATURES_OK:
            self.negotiated = set(self.driver_features)
        self.status = new

    # -- one message in, the messages out ------------------------------------------------------
    def handle(self, typ, mid, dev, token, body):
        def resp(fmt, *values):
            payload = struct.pack("<" + fmt, *values) if fmt else b""
            return [struct.pack("<BBHHH", RESPONSE, mid, dev, token, 8 + len(payload)) + payload]

        def event(mid2, fmt, *values):
            payload = struct.pack("<" + fmt, *values)
            return [struct.pack("<BBHHH", 0, mid2, dev, 0, 8 + len(payload)) + payload]

        if typ & RESPONSE or typ & ~1:
            return []  # responses and bus messages are not ours
        if mid == 0x02:  # GET_DEVICE_INFO
            return resp("II16sIIIII", 1, 0, bytes(16), 2, len(CONFIG), MAX_QUEUES, 0, 0)
        if mid == 0x03:  # GET_DEVICE_FEATURES
            index, count = struct.unpack_from("<II", body)
            blocks = [sum(1 << (f - 32 * b) for f in OFFERED if f // 32 == b) for b in range(index, index + count)]
            return resp("II" + "I" * count, index, count, *blocks)
        if mid == 0x04:  # SET_DRIVER_FEATURES
            index, count = struct.unpack_from("<II", body)
            blocks = struct.unpack_from("<" + "I" * count, body, 8)
            if self.status & DRIVER and not self.status & FEATURES_OK:
                keep = {f for f in self.driver_features if not index <= f // 32 < index + count}
                for b, word in enumerate(blocks):
                    keep |= {32 * (index + b) + i for i in range(32) if word >> i & 1}
                self.driver_features = keep
            return resp("")
        if mid == 0x05:  # GET_CONFIG
            offset, length = struct.unpack_from("<II", body)
            data = CONFIG[offset:offset + length] if offset + length <= len(CONFIG) else b""
            return resp("III%ds" % len(data), 0, offset, len(data), data)
        if mid == 0x06:  # SET_CONFIG: this device's config is read-only
            generation, offset, _ = struct.unpack_from("<III", body)
            return resp("III", 0, offset, 0)
        if mid == 0x07:  # GET_DEVICE_STATUS
            return resp("I", self.status)
        if mid == 0x08:  # SET_DEVICE_STATUS
            (status,) = struct.unpack_from("<I", body)
            self.set_status(status)
            return resp("I", self.status)
        if mid == 0x09:  # GET_VQUEUE
            (index,) = struct.unpack_from("<I", body)
            if index >= MAX_QUEUES:
                return resp("IIIIQQQ", index, 0, 0, 0, 0, 0, 0)
            q = self.queues[index]
            return resp("IIIIQQQ", index, QUEUE_MAX, q.size, int(q.enabled), q.desc, q.driver, q.device)
        if mid == 0x0A:  # SET_VQUEUE
            index, flags, size, _reserved, desc, drv, devaddr = struct.unpack_from("<IIIIQQQ", body)
            if index < MAX_QUEUES and self.status & FEATURES_OK and not self.queues[index].enabled:
                q = self.queues[index]
                new_size = q.size if flags & 4 else size
                if 1 <= new_size <= QUEUE_MAX and new_size & (new_size - 1) == 0:
                    q.size = new_size
                    q.desc = q.desc if flags & 8 else desc
                    q.driver = q.driver if flags & 16 else drv
                    q.device = q.device if flags & 32 else devaddr
                    q.enabled = (flags & 3) == 1
            return resp("")
        if mid == 0x0B:  # RESET_VQUEUE
            (index,) = struct.unpack_from("<I", body)
            if index < MAX_QUEUES and 40 in self.negotiated:
                self.queues[index] = Queue()
            return resp("")
        if mid == 0x41:  # EVENT_AVAIL: use the buffers (this device consumes them at once)
            (index, _next) = struct.unpack_from("<II", body)
            return self.on_avail(index, event)
        return []  # unknown requests are discarded

    def on_avail(self, index, event):
        if self.live(index):
            return event(0x42, "I", index)
        return []


def read_exactly(n):
    data = b""
    while len(data) < n:
        chunk = sys.stdin.buffer.read(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def serve(device):
    out = sys.stdout.buffer
    while True:
        header = read_exactly(8)
        if header is None:
            return
        typ, mid, dev, token, size = struct.unpack("<BBHHH", header)
        body = read_exactly(size - 8) if size > 8 else b""
        if body is None:
            return
        try:
            replies = device.handle(typ, mid, dev, token, body)
        except struct.error:
            replies = []  # malformed: discarded, as the draft requires
        for r in replies:
            out.write(r)
        out.flush()


if __name__ == "__main__":
    serve(Device())
