#!/usr/bin/env bash
# What durability costs: every (Redis kind, LetsChat:Durability) pair on a fresh bench/stack.sh,
# rounds alternating the order, the generator on core 0 and the server side on core 1. Only
# 127.0.0.x is contacted. Results (JSON) and the report go to bench/results/durability-<UTC time>/.
#
#   bench/durability.sh                 # 3 rounds of the fixed load, then one ladder per pair
#   ROUNDS=5 LADDER=0 bench/durability.sh
#
# Per pair and round, v1 (so every send is acked):
#   load    10 rooms × 10 clients × 2 senders × 50 msg/s = 1,000 msg/s, 10,000 deliveries/s, 15 s:
#           Redis CPU per message, send→ack p50/p99, delivery p50/p99
#   rest    1 room × 2 clients × 10 msg/s, 15 s: send→ack p50/p99 when nothing queues
#   ladder  (LADDER=1) ×1.5 a step from 5 msg/s per sender: the best clean step
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${ROUNDS:-3}"; LADDER="${LADDER:-1}"; GEN_CORE="${GEN_CORE:-0}"
KINDS="${KINDS:-server garnet}"; DURABILITIES="${DURABILITIES:-none everysec always}"
out="bench/results/durability-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
trap 'bench/stack.sh stop >/dev/null 2>&1 || true' EXIT

dotnet build LetsChat.RoomService -c Release -v q -nologo >/dev/null
dotnet build LetsChat.Garnet -c Release -v q -nologo >/dev/null
dotnet build bench/LetsChat.LoadTest -c Release -v q -nologo >/dev/null
{ echo "# $(date -u) on $(nproc) cores, $(uname -r), data on $(df -T "${TMPDIR:-/tmp}" | awk 'NR==2{print $2}')"
  redis-server --version; dotnet --version; git rev-parse --short HEAD; } > "$out/env.txt"
cat "$out/env.txt"

load() { taskset -c "$GEN_CORE" dotnet bench/LetsChat.LoadTest/bin/Release/net10.0/LetsChat.LoadTest.dll --quiet --protocol v1 "$@"; }

fresh() { # kind durability
  bench/stack.sh stop >/dev/null 2>&1 || true
  REDIS_KIND=$1 DURABILITY=$2 STACK_BIN="" bench/stack.sh start 0 >/dev/null
  # shellcheck disable=SC1091
  source bench/.stack
  # JIT tiering settles under load; nothing measured before it has.
  load --target "$ROOMS_URL" --rooms 10 --clients 10 --senders 2 --rate 25 --duration 15 --drain 2 >/dev/null || true
}

pairs=()
for kind in $KINDS; do for d in $DURABILITIES; do pairs+=("$kind:$d"); done; done
for round in $(seq 1 "$ROUNDS"); do
  # Rotate the order each round, so no pair always meets the machine in the same mood.
  n=${#pairs[@]}; shift_by=$(( (round - 1) % n ))
  order=("${pairs[@]:$shift_by}" "${pairs[@]:0:$shift_by}")
  for pair in "${order[@]}"; do
    kind=${pair%%:*}; d=${pair##*:}
    echo "durability: round $round, $kind $d"
    fresh "$kind" "$d"
    load --target "$ROOMS_URL" --rooms 10 --clients 10 --senders 2 --rate 50 --duration 15 --drain 3 \
      --pid "$ROOMS_PID" "$REDIS_PID" --json "$out/load-$kind-$d-$round.json" >/dev/null || true
    load --target "$ROOMS_URL" --rooms 1 --clients 2 --senders 2 --rate 10 --duration 15 --drain 2 \
      --pid "$ROOMS_PID" "$REDIS_PID" --json "$out/rest-$kind-$d-$round.json" >/dev/null || true
  done
done
if ((LADDER)); then
  for pair in "${pairs[@]}"; do
    kind=${pair%%:*}; d=${pair##*:}
    echo "durability: ladder, $kind $d"
    fresh "$kind" "$d"
    load --target "$ROOMS_URL" --rooms 10 --clients 10 --senders 2 --rate 5 --ladder --factor 1.5 --duration 8 --drain 3 \
      --pid "$ROOMS_PID" "$REDIS_PID" --json "$out/ladder-$kind-$d-1.json" >/dev/null || true
  done
fi
bench/stack.sh stop >/dev/null 2>&1 || true
python3 bench/durability_report.py "$out" | tee "$out/report.txt"
