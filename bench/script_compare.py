#!/usr/bin/env python3
"""Redis CPU per call of two versions of publish.lua, alternating in one run on one redis-server.

Each round sends CALLS calls of each version (pipelined, 32 in flight, as a busy room service
would) with the arguments the room service passes, a fresh dedupe id each, and reads Redis's own
CPU (INFO cpu) around it. Prints each version's median and range of µs per call and the new/old
ratio per round. redis-server runs on a free 127.0.0.1 port, memory only.

    git show HEAD~1:LetsChat.RoomService/Redis/Lua/publish.lua > /tmp/old.lua
    bench/script_compare.py /tmp/old.lua LetsChat.RoomService/Redis/Lua/publish.lua

A script that uses log.lua's functions without defining them gets log.lua put in front, as
RedisScripts does (LOG_LUA names another, say an old version's from git show; the repository's
by default).
"""
import os
import statistics
import sys
import uuid

from resp import scratch_redis

CALLS = int(os.environ.get("CALLS", "20000"))
ROUNDS = int(os.environ.get("ROUNDS", "7"))
BODY = '{"user":{"id":"u_0123456789abcdef","name":"Bench"},"text":"a benchmark message of typical length, about sixty chars","ts":1764633600000}'


HERE = os.path.dirname(os.path.abspath(__file__))
LOG_LUA = os.environ.get("LOG_LUA", os.path.join(HERE, "..", "LetsChat.RoomService", "Redis", "Lua", "log.lua"))


def load(path):
    """The script as the room service sends it, and its ARGV[10]: the trace ("-") once messages carry one."""
    body = open(path, "rb").read()
    if b"kept_epoch(" in body and b"local function kept_epoch" not in body:
        body = open(LOG_LUA, "rb").read() + body
    return body, "-" if b"message_record(" in body else ""


def cpu(r):
    info = r.call("INFO", "cpu").decode()
    fields = dict(l.split(":", 1) for l in info.splitlines() if ":" in l)
    return float(fields["used_cpu_sys"]) + float(fields["used_cpu_user"])


def run(r, sha, room, calls, trace=""):
    keys = [f"letschat:{{{room}}}:{k}" for k in ("seq", "log", "epoch", "ids", "updates", "latest", "reactors")]
    # ARGV as RedisRoomBroker passes them; a script that takes fewer ignores the rest (and KEYS[5]).
    r.pipeline(("EVALSHA", sha, len(keys), *keys, f"letschat:{{{room}}}:live", uuid.uuid4().hex[:16],
                f"u_0123456789abcdef {uuid.uuid4().hex}", BODY, 1000, 86400, "", 0, "", trace) for _ in range(calls))


def main():
    scripts = {name: load(path) for name, path in zip(("old", "new"), sys.argv[1:3])}
    with scratch_redis() as r:
        shas = {name: r.call("SCRIPT", "LOAD", body).decode() for name, (body, _) in scripts.items()}
        per_call = {"old": [], "new": []}
        for round_ in range(ROUNDS):
            for name in (("old", "new") if round_ % 2 == 0 else ("new", "old")):
                before = cpu(r)
                run(r, shas[name], f"bench-{name}-{round_}", CALLS, scripts[name][1])
                per_call[name].append((cpu(r) - before) / CALLS * 1e6)
        ratios = [n / o for n, o in zip(per_call["new"], per_call["old"])]
        for name in ("old", "new"):
            v = per_call[name]
            print(f"{name}: {statistics.median(v):.2f} µs of Redis CPU per call ({min(v):.2f}–{max(v):.2f}), {ROUNDS} rounds of {CALLS}")
        print(f"new/old per round: median {statistics.median(ratios):.3f} ({min(ratios):.3f}–{max(ratios):.3f})")


if __name__ == "__main__":
    main()
