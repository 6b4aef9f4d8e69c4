#!/usr/bin/env python3
"""What the frame budgets cost Redis, per message, in one run on one redis-server.

A message is one publish.lua call. Under the budgets (Security/FrameBudget.cs) a replica also takes
tokens from the user's and the network's bucket: RedisRateLimiting's token-bucket script, read
here out of the package the room service uses, so what is measured is what runs. A steady sender
takes a chunk (a tenth of a second's budget) at a time; the worst case, a sender whose tokens were
forgotten between two messages (more than a minute apart), takes from both buckets for each message.
Rounds alternate the two scripts; Redis's own CPU (INFO cpu) is read around each.

    bench/budget_cost.py
"""
import glob
import os
import re
import statistics
import time
import uuid

from resp import scratch_redis
from script_compare import BODY, cpu, load, run as run_publish

CALLS = int(os.environ.get("CALLS", "20000"))
ROUNDS = int(os.environ.get("ROUNDS", "7"))
HERE = os.path.dirname(os.path.abspath(__file__))


def bucket_script():
    props = open(os.path.join(HERE, "..", "Directory.Packages.props")).read()
    version = re.search(r'Include="RedisRateLimiting" Version="([^"]+)"', props).group(1)
    dll = glob.glob(os.path.expanduser(f"~/.nuget/packages/redisratelimiting/{version}/lib/net*/RedisRateLimiting.dll"))[0]
    text = open(dll, "rb").read()[1:].decode("utf-16-le", errors="ignore")  # .NET string literals are UTF-16
    start = text.index("-- Prepare the input and force the correct data types.")
    end = text.index("return { allowed, current_tokens, retry_after }", start) + len("return { allowed, current_tokens, retry_after }")
    script = text[start:end]
    # LuaScript.Prepare's @names, as KEYS and ARGV.
    for i, name in enumerate(("rate_limit_key", "timestamp_key")):
        script = script.replace("@" + name, f"KEYS[{i + 1}]")
    for i, name in enumerate(("token_limit", "tokens_per_period", "replenish_period", "permit_count", "current_time")):
        script = script.replace("@" + name, f"ARGV[{i + 1}]")
    assert "@" not in script, script
    return version, script


def run_bucket(r, sha, calls):
    # A user's bucket as FrameBuckets makes it (30 a second: 90 tokens, 3 every 100 ms), takes of 3, over 1,000 users.
    keys = [f"rl:tb:{{letschat:limit:frames:user:u_{i:016x}}}" for i in range(1000)]
    r.pipeline(("EVALSHA", sha, 2, keys[i % 1000], keys[i % 1000] + ":ts", 90, 3, 100, 3, int(time.time() * 1000)) for i in range(calls))


def main():
    version, bucket = bucket_script()
    publish, trace = load(os.path.join(HERE, "..", "LetsChat.RoomService", "Redis", "Lua", "publish.lua"))
    with scratch_redis() as r:
        shas = {"publish": r.call("SCRIPT", "LOAD", publish).decode(), "bucket": r.call("SCRIPT", "LOAD", bucket).decode()}
        per_call = {"publish": [], "bucket": []}
        for round_ in range(ROUNDS):
            for name in (("publish", "bucket") if round_ % 2 == 0 else ("bucket", "publish")):
                before = cpu(r)
                if name == "publish":
                    run_publish(r, shas[name], f"bench-{round_}-{uuid.uuid4().hex[:6]}", CALLS, trace)
                else:
                    run_bucket(r, shas[name], CALLS)
                per_call[name].append((cpu(r) - before) / CALLS * 1e6)
        for name in ("publish", "bucket"):
            v = per_call[name]
            print(f"{name}: {statistics.median(v):.2f} µs of Redis CPU per call ({min(v):.2f}–{max(v):.2f}), {ROUNDS} rounds of {CALLS}")
        worst = [(p + 2 * b) / p for p, b in zip(per_call["publish"], per_call["bucket"])]
        steady = [(p + b / 3 + b / 30) / p for p, b in zip(per_call["publish"], per_call["bucket"])]
        print(f"RedisRateLimiting {version}: a message's Redis CPU under the budgets, over without them, per round:")
        print(f"  worst case (both buckets every message): median {statistics.median(worst):.3f} ({min(worst):.3f}–{max(worst):.3f})")
        print(f"  steady sender (a take of 3 from the user's, of 30 from the network's): median {statistics.median(steady):.3f} ({min(steady):.3f}–{max(steady):.3f})")


if __name__ == "__main__":
    main()
