#!/usr/bin/env python3
"""Summarises a bench/compare.sh folder: every run, then per figure the old and new medians (ranges)
and the new/old ratio taken round by round (the two variants of a round ran minutes apart)."""
import csv
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from figures import fmt

folder = Path(sys.argv[1])
runs = defaultdict(dict)  # (scenario, path) -> {(variant, round): json}
for f in sorted(folder.glob("*.json")):
    m = re.fullmatch(r"([a-z])-(old|new)-(direct|gateway)-(\d+)\.json", f.name)
    if m:
        runs[(m[1], m[3])][(m[2], int(m[4]))] = r = json.loads(f.read_text())
        sampled = f.with_suffix(".csv")
        if sampled.exists():  # scenario k: dotnet-counters, one row per counter per second
            samples = defaultdict(list)
            for row in csv.DictReader(sampled.open()):
                try:
                    samples[row["Counter Name"]].append(float(row["Mean/Increment"]))
                except (KeyError, ValueError):
                    pass
            r["counters"] = {name: sum(v) / len(v) for name, v in samples.items() if v}
            r["peaks"] = {"queue.length": max((max(v) for name, v in samples.items() if "queue.length" in name and v), default=float("nan"))}


def cpu_us(r, name=None):
    """Server CPU per delivery (µs): of the processes whose name starts with name, or all."""
    if not r.get("received"):
        return float("nan")
    ms = sum(p["cpuMs"] for p in r["processes"] if name is None or p["name"].startswith(name))
    return ms * 1000 / r["received"]


def counter(r, *names):
    """The mean of the first counter whose name contains one of names (runtimes name them differently)."""
    for key, value in r.get("counters", {}).items():
        if any(n in key for n in names):
            return value
    return float("nan")


def per_delivery(r, *names):
    return counter(r, *names) / r["deliveredPerSecond"] if r.get("deliveredPerSecond") else float("nan")


def kib(r, name=None):
    return sum(p["kiBPerConnection"] for p in r["processes"] if name is None or p["name"].startswith(name))


FIGURES = {
    "c": [("rooms µs/delivery", lambda r: cpu_us(r, "LetsChat.RoomService")),
          ("redis µs/delivery", lambda r: cpu_us(r, "redis")),
          ("gateway µs/delivery", lambda r: cpu_us(r, "LetsChat.Gateway")),
          ("total µs/delivery", cpu_us),
          ("p50 ms", lambda r: r["p50"] / 1000), ("p99 ms", lambda r: r["p99"] / 1000),
          ("lost+dup+reordered", lambda r: r["lost"] + r["duplicated"] + r["outOfOrder"])],
    "v": [("rooms µs/delivery", lambda r: cpu_us(r, "LetsChat.RoomService")),
          ("redis µs/delivery", lambda r: cpu_us(r, "redis")),
          ("p50 ms", lambda r: r["p50"] / 1000), ("p99 ms", lambda r: r["p99"] / 1000),
          ("ack p50 ms", lambda r: r["ackP50"] / 1000), ("ack p99 ms", lambda r: r["ackP99"] / 1000),
          ("lost+dup+reordered", lambda r: r["lost"] + r["duplicated"] + r["outOfOrder"])],
    "a": [("p50 ms", lambda r: r["p50"] / 1000), ("p99 ms", lambda r: r["p99"] / 1000),
          ("max ms", lambda r: r["max"] / 1000), ("lost+dup+reordered", lambda r: r["lost"] + r["duplicated"] + r["outOfOrder"])],
    "d": [("rooms KiB/socket", lambda r: kib(r, "LetsChat.RoomService")),
          ("gateway KiB/socket", lambda r: kib(r, "LetsChat.Gateway")),
          ("established", lambda r: r["established"])],
    "j": [("join p50 ms", lambda r: r["p50Ms"]), ("join p90 ms", lambda r: r["p90Ms"]),
          ("join p99 ms", lambda r: r["p99Ms"]), ("join max ms", lambda r: r["maxMs"]), ("failed", lambda r: r["failed"])],
    "k": [("rooms µs/delivery", lambda r: cpu_us(r, "LetsChat.RoomService")),
          ("allocated B/delivery", lambda r: per_delivery(r, "total_allocated", "Allocation Rate")),
          ("thread-pool items/delivery", lambda r: per_delivery(r, "work_item.count", "Completed Work Item")),
          # dotnet-counters prints the queue length (an up-down counter) as its change per second,
          # whose mean says nothing; the largest change in a second shows whether work piled up.
          ("thread-pool queue, largest rise/s", lambda r: r.get("peaks", {}).get("queue.length", float("nan"))),
          ("gen0 GCs/s", lambda r: counter(r, "collections ({collection} / 1 sec)[gc.heap.generation=gen0]", "Gen 0 GC Count")),
          ("p99 ms", lambda r: r["p99"] / 1000)],
    "b": [("best clean delivered/s", lambda r: r["best"]["deliveredPerSecond"] if r.get("best") else 0),
          ("best step p99 ms", lambda r: r["best"]["p99"] / 1000 if r.get("best") else float("nan"))],
}



for (scenario, path), by in sorted(runs.items()):
    print(f"\n## {scenario} {path}")
    figures = FIGURES[scenario]
    rounds = sorted({rnd for _, rnd in by})
    print("| run | " + " | ".join(name for name, _ in figures) + " |")
    print("|---|" + "---|" * len(figures))
    for rnd in rounds:
        for variant in ("old", "new"):
            if (variant, rnd) in by:
                r = by[(variant, rnd)]
                print(f"| {variant} {rnd} | " + " | ".join(f"{f(r):,.2f}" for _, f in figures) + " |")
    print("\n| figure | old | new | new/old, round by round |")
    print("|---|---|---|---|")
    for name, f in figures:
        old = {r: f(by[("old", r)]) for r in rounds if ("old", r) in by}
        new = {r: f(by[("new", r)]) for r in rounds if ("new", r) in by}
        # Pair by round; a zero or missing (NaN) old figure has no ratio.
        ratios = [new[r] / old[r] for r in rounds if r in old and r in new and old[r] == old[r] and old[r] != 0]
        old, new = list(old.values()), list(new.values())
        print(f"| {name} | {fmt(old)} | {fmt(new)} | {fmt(ratios)} |")
