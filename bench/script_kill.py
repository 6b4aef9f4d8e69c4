#!/usr/bin/env python3
"""Does a Lua script's set of writes survive kill -9 whole? Outside the app, per server.

Two connections run a three-write script (INCR a counter; ZADD an entry to a "log"; ZADD its id to
an "ids" set, like publish.lua) as fast as they can; the server is killed with SIGKILL mid-stream,
started again from the same folder, and the sets are compared. A script replayed in part leaves a
log entry without its id (or a counter ahead of both, which is harmless). Servers are started with
the AppHost's options (LetsChat.AppHost/RedisPersistence.cs), durability `always`, on 127.0.0.1.

    bench/script_kill.py            # 5 kills each of redis-server and Garnet
    TRIALS=10 bench/script_kill.py garnet
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from resp import Resp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GARNET = os.path.join(ROOT, "LetsChat.Garnet/bin/Release/net10.0/LetsChat.Garnet.dll")
SCRIPT = """
local seq = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], seq, seq .. ' ' .. ARGV[1])
redis.call('ZADD', KEYS[3], seq, ARGV[1])
return seq
"""
KEYS = ["{r}:seq", "{r}:log", "{r}:ids"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command(kind, port, folder):
    if kind == "server":
        return ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", folder, "--save", "",
                "--appendonly", "yes", "--appendfsync", "always"]
    garnet_args = subprocess.check_output([os.path.join(ROOT, "bench/garnet_args.sh"), "always", folder], text=True).split("\n")
    return ["dotnet", GARNET, "--port", str(port), "--bind", "127.0.0.1", *filter(None, garnet_args)]


def start(kind, port, folder):
    process = subprocess.Popen(command(kind, port, folder), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            with Resp(port) as r:
                if r.call("PING") == b"PONG":
                    return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit(f"script_kill: {kind} did not start")


def writer(port, name, stop):
    try:
        with Resp(port) as r:
            n = 0
            while not stop.is_set():
                r.call("EVAL", SCRIPT, len(KEYS), *KEYS, f"{name}-{n}")
                n += 1
    except (OSError, ConnectionError):
        pass  # the kill


def trial(kind):
    port, folder = free_port(), tempfile.mkdtemp(prefix="script-kill-")
    try:
        process = start(kind, port, folder)
        stop = threading.Event()
        writers = [threading.Thread(target=writer, args=(port, f"w{i}", stop)) for i in range(2)]
        for w in writers:
            w.start()
        time.sleep(1.5)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        stop.set()
        for w in writers:
            w.join()
        process = start(kind, port, folder)
        with Resp(port) as r:
            counter = int(r.call("GET", KEYS[0]) or 0)
            log = [m.split(b" ", 1)[1] for m in r.call("ZRANGE", KEYS[1], 0, -1)]
            ids = set(r.call("ZRANGE", KEYS[2], 0, -1))
        process.terminate()
        process.wait()
        return counter, len(log), sum(1 for i in log if i not in ids)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main():
    kinds = sys.argv[1:] or ["server", "garnet"]
    if "garnet" in kinds and not os.path.exists(GARNET):
        subprocess.run(["dotnet", "build", os.path.join(ROOT, "LetsChat.Garnet"), "-c", "Release", "-v", "q", "-nologo"],
                       check=True, stdout=subprocess.DEVNULL)
    trials = int(os.environ.get("TRIALS", "5"))
    print("| server | kill | scripts counted | log entries | log entries without their id |")
    print("|---|---|---|---|---|")
    for kind in kinds:
        for k in range(1, trials + 1):
            counter, entries, partial = trial(kind)
            print(f"| {kind} | {k} | {counter} | {entries} | {partial} |", flush=True)


if __name__ == "__main__":
    main()
