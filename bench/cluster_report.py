#!/usr/bin/env python3
"""Summarises a bench/cluster.sh folder: every run, then per figure the standalone and cluster
medians (ranges) and the cluster/standalone ratio taken round by round."""
import json
import re
import sys
from pathlib import Path

from figures import fmt

folder = Path(sys.argv[1])
by_rate = {}  # rate -> {(kind, round): (result, roles)}
for f in sorted(folder.glob("*.json")):
    m = re.fullmatch(r"(server|cluster)-(\d+)-(\d+)\.json", f.name)
    if m:
        roles = json.loads((folder / f"{m[1]}-{m[3]}.roles.json").read_text())
        by_rate.setdefault(int(m[2]), {})[(m[1], int(m[3]))] = (json.loads(f.read_text()), roles)


def cpu_us(r, pids):
    """CPU per delivery (µs) of the given processes."""
    if not r.get("received"):
        return float("nan")
    return sum(p["cpuMs"] for p in r["processes"] if p["pid"] in pids) * 1000 / r["received"]


def rooms(r, _):
    return cpu_us(r, {p["pid"] for p in r["processes"] if p["name"].startswith("LetsChat.RoomService")})


def node_us(r, roles, which):
    return sorted(cpu_us(r, {pid}) for pid in roles[which])


FIGURES = [
    ("delivered/s", lambda r, _: r["deliveredPerSecond"]),
    ("p50 ms", lambda r, _: r["p50"] / 1000), ("p99 ms", lambda r, _: r["p99"] / 1000),
    ("ack p50 ms", lambda r, _: r["ackP50"] / 1000), ("ack p99 ms", lambda r, _: r["ackP99"] / 1000),
    ("rooms µs/delivery", rooms),
    ("redis µs/delivery, all nodes", lambda r, roles: cpu_us(r, set(roles["masters"]) | set(roles["replicas"]))),
    ("busiest master µs/delivery", lambda r, roles: max(node_us(r, roles, "masters"))),
    ("least busy master µs/delivery", lambda r, roles: min(node_us(r, roles, "masters"))),
    ("replicas µs/delivery", lambda r, roles: cpu_us(r, set(roles["replicas"])) if roles["replicas"] else float("nan")),
    ("lost+dup+reordered", lambda r, _: r["lost"] + r["duplicated"] + r["outOfOrder"]),
]


def report(rate, runs):
    rounds = sorted({rnd for _, rnd in runs})
    print(f"\n## {rate} msg/s per sender")
    print("| run | " + " | ".join(name for name, _ in FIGURES) + " | masters µs/delivery |")
    print("|---|" + "---|" * (len(FIGURES) + 1))
    for rnd in rounds:
        for kind in ("server", "cluster"):
            if (kind, rnd) in runs:
                r, roles = runs[(kind, rnd)]
                masters = " / ".join(f"{v:.2f}" for v in node_us(r, roles, "masters"))
                print(f"| {kind} {rnd} | " + " | ".join(f"{f(r, roles):,.2f}" for _, f in FIGURES) + f" | {masters} |")
    print("\n| figure | one server | cluster | cluster/server, round by round |")
    print("|---|---|---|---|")
    for name, f in FIGURES:
        one = {rnd: f(*runs[("server", rnd)]) for rnd in rounds if ("server", rnd) in runs}
        many = {rnd: f(*runs[("cluster", rnd)]) for rnd in rounds if ("cluster", rnd) in runs}
        ratios = [many[x] / one[x] for x in rounds if x in one and x in many and one[x] == one[x] and one[x] != 0]
        print(f"| {name} | {fmt(list(one.values()))} | {fmt(list(many.values()))} | {fmt(ratios)} |")


for rate, runs in sorted(by_rate.items(), reverse=True):
    report(rate, runs)
