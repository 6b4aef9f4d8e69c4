#!/usr/bin/env python3
"""Redis CPU per call of two versions of publish.lua, alternating in one run on one redis-server.

Each round sends CALLS calls of each version (pipelined, 32 in flight, as a busy room service
would) with the arguments the room service passes, a fresh dedupe id each, and reads Redis's own
CPU (INFO cpu) around it. Prints each version's median and range of µs per call and the new/old
ratio per round. redis-server runs on a free 127.0.0.1 port, memory only.

    git show HEAD~1:LetsChat.RoomService/Redis/Lua/publish.lua > /tmp/old.lua
    bench/script_compare.py /tmp/old.lua LetsChat.RoomService/Redis/Lua/publish.lua
"""
import os
import statistics
import sys
import uuid

from resp import scratch_redis

CALLS = int(os.environ.get("CALLS", "20000"))
ROUNDS = int(os.environ.get("ROUNDS", "7"))
BODY = '{"user":{"id":"u_0123456789abcdef","name":"Bench"},"text":"a benchmark message of typical length, about sixty chars","ts":1764633600000}'


def cpu(r):
    info = r.call("INFO", "cpu").decode()
    fields = dict(l.split(":", 1) for l in info.splitlines() if ":" in l)
    return float(fields["used_cpu_sys"]) + float(fields["used_cpu_user"])


def run(r, sha, room, calls):
    keys = [f"letschat:{{{room}}}:{k}" for k in ("seq", "log", "epoch", "ids", "updates", "latest", "reactors")]
    # ARGV as RedisRoomBroker passes them; a script that takes fewer ignores the rest (and KEYS[5]).
    r.pipeline(("EVALSHA", sha, len(keys), *keys, f"letschat:{{{room}}}:live", uuid.uuid4().hex[:16],
                f"u_0123456789abcdef {uuid.uuid4().hex}", BODY, 1000, 86400, "", 0, "", "") for _ in range(calls))


def main():
    old, new = (open(p, "rb").read() for p in sys.argv[1:3])
    with scratch_redis() as r:
        shas = {name: r.call("SCRIPT", "LOAD", body).decode() for name, body in (("old", old), ("new", new))}
        per_call = {"old": [], "new": []}
        for round_ in range(ROUNDS):
            for name in (("old", "new") if round_ % 2 == 0 else ("new", "old")):
                before = cpu(r)
                run(r, shas[name], f"bench-{name}-{round_}", CALLS)
                per_call[name].append((cpu(r) - before) / CALLS * 1e6)
        ratios = [n / o for n, o in zip(per_call["new"], per_call["old"])]
        for name in ("old", "new"):
            v = per_call[name]
            print(f"{name}: {statistics.median(v):.2f} µs of Redis CPU per call ({min(v):.2f}–{max(v):.2f}), {ROUNDS} rounds of {CALLS}")
        print(f"new/old per round: median {statistics.median(ratios):.3f} ({min(ratios):.3f}–{max(ratios):.3f})")


if __name__ == "__main__":
    main()
