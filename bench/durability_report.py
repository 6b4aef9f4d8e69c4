#!/usr/bin/env python3
"""Summarises a bench/durability.sh folder: per (Redis kind, durability), medians (ranges) over
rounds, and each figure's ratio to the same kind's `none`, taken round by round."""
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from figures import fmt

folder = Path(sys.argv[1])
runs = defaultdict(dict)  # (test, kind, durability) -> {round: json}
for f in sorted(folder.glob("*.json")):
    m = re.fullmatch(r"(load|rest|ladder)-(server|garnet)-(none|everysec|always)-(\d+)\.json", f.name)
    if m:
        runs[(m[1], m[2], m[3])][int(m[4])] = json.loads(f.read_text())


def redis_us_per_message(r):
    ms = sum(p["cpuMs"] for p in r["processes"] if not p["name"].startswith("LetsChat.RoomService"))
    return ms * 1000 / r["sent"] if r.get("sent") else float("nan")


def rooms_us_per_delivery(r):
    ms = sum(p["cpuMs"] for p in r["processes"] if p["name"].startswith("LetsChat.RoomService"))
    return ms * 1000 / r["received"] if r.get("received") else float("nan")


FIGURES = {
    "load": [("Redis µs/message", redis_us_per_message), ("rooms µs/delivery", rooms_us_per_delivery),
             ("ack p50 ms", lambda r: r["ackP50"] / 1000), ("ack p99 ms", lambda r: r["ackP99"] / 1000),
             ("delivery p99 ms", lambda r: r["p99"] / 1000),
             ("lost+dup+reordered+refused", lambda r: r["lost"] + r["duplicated"] + r["outOfOrder"] + r["refused"])],
    "rest": [("ack p50 ms", lambda r: r["ackP50"] / 1000), ("ack p99 ms", lambda r: r["ackP99"] / 1000),
             ("delivery p50 ms", lambda r: r["p50"] / 1000), ("delivery p99 ms", lambda r: r["p99"] / 1000)],
    "ladder": [("best clean delivered/s", lambda r: r["best"]["deliveredPerSecond"] if r.get("best") else 0),
               ("its ack p99 ms", lambda r: r["best"]["ackP99"] / 1000 if r.get("best") else float("nan")),
               ("its delivery p99 ms", lambda r: r["best"]["p99"] / 1000 if r.get("best") else float("nan"))],
}



for test, figures in FIGURES.items():
    keys = sorted({(k, d) for (t, k, d) in runs if t == test}, key=lambda kd: (kd[0], ["none", "everysec", "always"].index(kd[1])))
    if not keys:
        continue
    print(f"\n## {test}")
    print("| Redis, durability | " + " | ".join(f"{name} (÷ none)" for name, _ in figures) + " |")
    print("|---|" + "---|" * len(figures))
    for kind, d in keys:
        by = runs[(test, kind, d)]
        base = runs.get((test, kind, "none"), {})
        cells = []
        for _, f in figures:
            values = [f(by[r]) for r in sorted(by)]
            ratios = [f(by[r]) / f(base[r]) for r in sorted(by) if r in base and f(base[r]) not in (0, float("nan")) and f(base[r]) == f(base[r])]
            cells.append(fmt(values) + (f" [{fmt(ratios)}]" if d != "none" and ratios else ""))
        print(f"| {kind} {d} | " + " | ".join(cells) + " |")
