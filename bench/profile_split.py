#!/usr/bin/env python3
"""Splits a room-service perf recording by what the time was for (per message or per delivery).

    perf script -i rooms.perf -F comm,ip,sym | bench/profile_split.py

A sample goes to the first category whose pattern matches a frame, from the leaf up. Samples whose
stack stops in libc (`__send` has no frame pointer, so the unwinder loses the caller) are shown by
their user-space leaf: at 20,000 deliveries/s and 2,000 messages/s, nearly all `__send` is a delivery.
"""
import collections
import re
import sys

CATEGORIES = [
    ("delivery: socket send", r"SocketSink|FrameWriter"),
    ("delivery: room fan-out", r"RoomFeed|Member::Send|LocalRooms"),
    ("message: subscription read", r"RedisRoomBroker\+<DrainAsync>|ChannelMessageQueue|PhysicalConnection.*Read"),
    ("message: publish script call", r"StackExchange\.Redis"),
    ("message: receive, parse, session", r"ChatSession|ChatConnection|ManagedWebSocket|PipeReaderStream"),
    ("kestrel, pipes", r"Kestrel|System\.IO\.Pipelines"),
    ("telemetry", r"OpenTelemetry|Diagnostics"),
]
PATTERNS = [(name, re.compile(p)) for name, p in CATEGORIES]


def samples(lines):
    comm, frames = None, []
    for line in lines:
        if not line.strip():
            if frames:
                yield comm, frames
            comm, frames = None, []
        elif line[0] in " \t":
            ip, _, sym = line.strip().partition(" ")
            frames.append((ip.startswith("ffff"), sym))
        else:
            comm = line.strip()
    if frames:
        yield comm, frames


def category(comm, frames):
    if "Tiered" in comm:
        return "JIT (tiering)"
    if "BGC" in comm or "GC" in comm:
        return "GC"
    for _, frame in frames:
        for name, pattern in PATTERNS:
            if pattern.search(frame):
                return name
    user = [frame for kernel, frame in frames if not kernel]
    return f"unattributed, user-space leaf {user[0][:60] if user else '(kernel only)'}"


counts = collections.Counter(category(c or "", f) for c, f in samples(sys.stdin))
total = sum(counts.values()) or 1
for name, n in counts.most_common(15):
    print(f"{100 * n / total:5.1f} %  {name}")
print(f"{total} samples")
