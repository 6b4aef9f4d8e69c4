#!/usr/bin/env bash
# Is anything paid per recipient? The same 20,000 deliveries/s as scenario c, made of fewer
# messages with more recipients each (10 rooms × 2 senders; 10 clients × 100 msg/s, 20 × 50,
# 40 × 25), with dotnet-counters on the room service. Allocation and thread-pool work that stay
# put when messages halve are paid per delivery; what halves with them is paid per message.
# Only 127.0.0.1 is contacted. Results go to bench/results/fanout-alloc-<UTC time>/.
#
#   bench/fanout_alloc.sh                       # builds the working tree (Release)
#   STACK_BIN=/path/with/rooms+gateway bench/fanout_alloc.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${ROUNDS:-2}"; GEN_CORE="${GEN_CORE:-0}"
out="bench/results/fanout-alloc-$(date -u +%Y%m%dT%H%M%SZ)"
tmp="$(mktemp -d)"
mkdir -p "$out"
trap 'bench/stack.sh stop >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
if [[ -z ${STACK_BIN:-} ]]; then
  dotnet publish LetsChat.RoomService -c Release -o "$tmp/bin/rooms" -v q -nologo >/dev/null
  dotnet publish LetsChat.Gateway -c Release -o "$tmp/bin/gateway" -v q -nologo >/dev/null
  STACK_BIN="$tmp/bin"
fi
dotnet build bench/LetsChat.LoadTest -c Release -v q -nologo >/dev/null
dotnet tool install --tool-path "$tmp/tools" dotnet-counters >/dev/null
load() { taskset -c "$GEN_CORE" dotnet bench/LetsChat.LoadTest/bin/Release/net10.0/LetsChat.LoadTest.dll --quiet "$@"; }

STACK_BIN="$STACK_BIN" bench/stack.sh start 1 >/dev/null
# shellcheck disable=SC1091
source bench/.stack
load --target "$ROOMS_URL" --rooms 10 --clients 10 --senders 2 --rate 50 --duration 20 --drain 2 >/dev/null || true # JIT tiering
for round in $(seq 1 "$ROUNDS"); do
  for shape in "10 100" "20 50" "40 25"; do
    read -r clients rate <<<"$shape"
    name="$out/$clients-$rate-$round"
    (sleep 1; "$tmp/tools/dotnet-counters" collect -p "$ROOMS_PID" --counters System.Runtime --format csv \
       --refresh-interval 1 --duration 00:00:00:08 -o "$name.csv" >/dev/null 2>&1) &
    load --target "$ROOMS_URL" --rooms 10 --clients "$clients" --senders 2 --rate "$rate" --duration 10 --drain 3 \
      --pid "$ROOMS_PID" --json "$name.json" >/dev/null || true
    wait
  done
done
python3 - "$out" <<'PY' | tee "$out/report.txt"
import csv, json, pathlib, statistics, sys
rows = {}
for j in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
    clients, rate, _ = j.stem.split("-")
    r = json.loads(j.read_text())
    c = [row for row in csv.DictReader(j.with_suffix(".csv").open())]
    mean = lambda key: statistics.mean(float(x["Mean/Increment"]) for x in c if key in x["Counter Name"])
    messages = 10 * 2 * int(rate)
    rows.setdefault((int(clients), int(rate)), []).append((mean("total_allocated"), mean("work_item.count"), messages, r["deliveredPerSecond"]))
print("| clients × msg/s per sender | messages/s | deliveries/s | allocated MB/s | KB per message | thread-pool items/s | per message |")
print("|---|---|---|---|---|---|---|")
for (clients, rate), runs in sorted(rows.items()):
    alloc = statistics.median(a for a, *_ in runs); items = statistics.median(i for _, i, *_ in runs)
    m = runs[0][2]; d = statistics.median(x[3] for x in runs)
    print(f"| {clients} × {rate} | {m:,} | {d:,.0f} | {alloc/1e6:.1f} ({', '.join(f'{a/1e6:.1f}' for a, *_ in runs)}) | {alloc/m/1e3:.1f} | {items:,.0f} | {items/m:.2f} |")
PY
