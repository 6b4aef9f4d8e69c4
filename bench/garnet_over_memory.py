#!/usr/bin/env python3
"""Writes more room-log data into a running Garnet than its memory (-m) holds, then counts what is left.

Issue 22, item 7: each ZADD is acknowledged, yet with the AppHost's `-m 256m` and no storage tier
Garnet keeps only part of it (2026-12-07: 40,000 entries of 12 KB into 100 logs, 469 MB, left
20,717; room 0 kept only seqs from 21,700 on, with no error to any write). With `--storage-tier
--logdir DIR --device-type RandomAccess` the same run wrote 23 GB to DIR and Garnet died: the object
store logs a whole sorted set again for each change. Neither setting is safe yet.

    dotnet LetsChat.Garnet/bin/Debug/net10.0/LetsChat.Garnet.dll --port 47111 --bind 127.0.0.1 -m 256m -i 16m --lua --lua-transaction-mode &
    ENTRIES=40000 PORT=47111 python3 bench/garnet_over_memory.py
"""
import os

from resp import Resp

PORT = int(os.environ.get("PORT", "47111"))
ENTRIES = int(os.environ.get("ENTRIES", "40000"))
ROOMS = 100
VALUE = "x" * 12000  # about the largest message a room keeps

r = Resp(PORT)
pending = 0
for i in range(ENTRIES):
    r.send("ZADD", f"letschat:{{room{i % ROOMS}}}:log", str(i), f"{i} {VALUE}")
    pending += 1
    if pending == 64:  # pipelined, every reply read (an error reply raises)
        for _ in range(pending):
            r.read()
        pending = 0
for _ in range(pending):
    r.read()

kept = [int(r.call("ZCARD", f"letschat:{{room{k}}}:log")) for k in range(ROOMS)]
print(f"acknowledged {ENTRIES} entries ({ENTRIES * len(VALUE) / 2**20:.0f} MiB); kept {sum(kept)}; "
      f"per room {min(kept)}..{max(kept)} of {ENTRIES // ROOMS}")
