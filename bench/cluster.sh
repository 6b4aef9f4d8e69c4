#!/usr/bin/env bash
# One Redis against a Redis Cluster, in one run: the working tree's room service on a fresh
# bench/stack.sh with REDIS_KIND=server, then with REDIS_KIND=cluster (three masters, three
# replicas, an ack waits for WAIT), alternating, the same loads against each, straight to the
# room service: 10 rooms × 10 v1 clients × 2 senders × RATES msg/s each (default 100 and 50:
# 20,000 and 10,000 deliveries/s). Reports latency (delivery, send to ack) and CPU per delivery:
# the room service, Redis, and each node.
# Only 127.0.0.x is contacted. Results (JSON) go to bench/results/cluster-<UTC time>/.
#
#   bench/cluster.sh            # 3 rounds
#   ROUNDS=5 RATES="100" bench/cluster.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${ROUNDS:-3}"; RATES="${RATES:-100 50}"; GEN_CORE="${GEN_CORE:-0}"
out="bench/results/cluster-$(date -u +%Y%m%dT%H%M%SZ)"
bin="$(mktemp -d)"
mkdir -p "$out"
cleanup() { bench/stack.sh stop >/dev/null 2>&1 || true; rm -rf "$bin"; }
trap cleanup EXIT

echo "cluster: building the working tree"
dotnet publish LetsChat.RoomService -c Release -o "$bin/rooms" -v q -nologo >/dev/null
dotnet publish LetsChat.Gateway -c Release -o "$bin/gateway" -v q -nologo >/dev/null
dotnet build bench/LetsChat.LoadTest -c Release -v q -nologo >/dev/null
{ echo "# working tree on $(git rev-parse --short HEAD); $ROUNDS rounds at $RATES msg/s per sender"
  echo "# $(date -u) on $(nproc) cores, $(uname -r)"; redis-server --version; dotnet --version; } > "$out/env.txt"
cat "$out/env.txt"

# The port a Redis PID listens on (its command line is redis-server 127.0.0.1:PORT).
port_of() { tr '\0' ' ' < "/proc/$1/cmdline" | grep -oE ':[0-9]+' | head -1 | tr -d :; }

load() { taskset -c "$GEN_CORE" dotnet bench/LetsChat.LoadTest/bin/Release/net10.0/LetsChat.LoadTest.dll --quiet "$@"; }

for round in $(seq 1 "$ROUNDS"); do
  order="server cluster"; ((round % 2 == 0)) && order="cluster server"
  for kind in $order; do
    echo "cluster: round $round, $kind"
    bench/stack.sh stop >/dev/null 2>&1 || true
    REDIS_KIND=$kind STACK_BIN="$bin" bench/stack.sh start 1 >/dev/null
    # shellcheck disable=SC1091
    source bench/.stack
    # Which PIDs are masters and which replicas (a single server is its own master).
    printf '{"masters": [%s], "replicas": [%s]}\n' "$(echo "${MASTER_PIDS:-$REDIS_PID}" | tr ' ' ',')" \
      "$(echo "${REPLICA_PIDS:-}" | tr ' ' ',')" > "$out/$kind-$round.roles.json"
    # JIT tiering settles in ~30 s of load; nothing measured before it has.
    load --target "$ROOMS_URL" --protocol v1 --rooms 10 --clients 10 --senders 2 --rate 50 --duration 30 --drain 2 >/dev/null || true
    for rate in $RATES; do
      # Each node's command counts over the measured load (how many WAITs per script, on a cluster).
      for pid in $REDIS_PID; do REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -p "$(port_of "$pid")" config resetstat >/dev/null; done
      load --target "$ROOMS_URL" --protocol v1 --rooms 10 --clients 10 --senders 2 --rate "$rate" --duration 10 --drain 3 \
        --pid "$ROOMS_PID" $REDIS_PID --json "$out/$kind-$rate-$round.json" >/dev/null || true
      for pid in $REDIS_PID; do
        echo "# pid $pid"; REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -p "$(port_of "$pid")" info commandstats | grep -E 'cmdstat_(evalsha|eval|wait):'
      done > "$out/$kind-$rate-$round.commandstats.txt"
    done
    unset MASTER_PIDS REPLICA_PIDS
  done
done
bench/stack.sh stop >/dev/null 2>&1 || true
python3 bench/cluster_report.py "$out" | tee "$out/report.txt"
