#!/usr/bin/env bash
# Old and new in one run: builds REV (any git revision) and the working tree into separate folders,
# runs the same scenarios against each on a fresh bench/stack.sh, alternating old and new, and
# prints every run and the new/old ratios (medians and ranges, pair by pair). Only 127.0.0.x is
# contacted. Results (JSON) go to bench/results/compare-<UTC time>/.
#
#   bench/compare.sh REV            # scenario c, 5 rounds
#   bench/compare.sh REV c a d      # some of:
#     c  20,000 deliveries/s (10 rooms × 10 clients × 2 senders × 100 msg/s, seed), direct and through the gateway
#     v  10,000 deliveries/s with acks (10 rooms × 10 clients × 2 senders × 50 msg/s, v1), direct and through the gateway
#     a  at rest: 1 room × 2 clients, 10 msg/s each, v1, direct and through the gateway
#     d  IDLE (5,000) idle v1 sockets over 1,000 rooms, direct and through the gateway: KiB per socket
#     b  the direct ladder (×1.5 a step from 5 msg/s per sender), once per variant per round
#     j  300 v1 joins one at a time into 10 rooms that each have a member and 30 messages: open to history frame
#     k  scenario c direct, with dotnet-counters on the room service: allocations and thread-pool work per delivery
#   ROUNDS=3 IDLE=18000 bench/compare.sh REV d
#   REDIS_KIND=cluster bench/compare.sh REV c v   # on a Redis Cluster (bench/stack.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
rev="${1:?usage: bench/compare.sh REV [c v a d b]}"; shift
scenarios="${*:-c}"
ROUNDS="${ROUNDS:-5}"; IDLE="${IDLE:-5000}"; GEN_CORE="${GEN_CORE:-0}"
out="bench/results/compare-$(date -u +%Y%m%dT%H%M%SZ)"
bin="$(mktemp -d)"
mkdir -p "$out"
cleanup() { bench/stack.sh stop >/dev/null 2>&1 || true; git worktree remove --force "$bin/src" >/dev/null 2>&1 || true; rm -rf "$bin"; }
trap cleanup EXIT

publish() { # source dir, output dir
  dotnet publish "$1/LetsChat.RoomService" -c Release -o "$2/rooms" -v q -nologo >/dev/null
  dotnet publish "$1/LetsChat.Gateway" -c Release -o "$2/gateway" -v q -nologo >/dev/null
}
echo "compare: building $rev and the working tree"
git worktree add --detach "$bin/src" "$rev" >/dev/null 2>&1
publish "$bin/src" "$bin/old"
publish . "$bin/new"
dotnet build bench/LetsChat.LoadTest -c Release -v q -nologo >/dev/null
counters="$bin/tools/dotnet-counters"
if [[ $scenarios == *k* ]]; then dotnet tool install --tool-path "$bin/tools" dotnet-counters >/dev/null; fi
{ echo "# old: $rev ($(git rev-parse --short "$rev")), new: working tree on $(git rev-parse --short HEAD)"
  echo "# $(date -u) on $(nproc) cores, $(uname -r)"; redis-server --version; dotnet --version
  # Instruction counts would be quieter than CPU time, where the kernel exposes the counter.
  if command -v perf >/dev/null && perf stat -x, -e instructions -- true 2>&1 | grep -q '^[0-9]'; then
    echo "# perf: instructions counted here (not yet used by the figures)"
  else
    echo "# perf: no instruction counter (perf stat -e instructions unsupported here); figures are CPU time over alternating rounds"
  fi; } > "$out/env.txt"
cat "$out/env.txt"

load() { taskset -c "$GEN_CORE" dotnet bench/LetsChat.LoadTest/bin/Release/net10.0/LetsChat.LoadTest.dll --quiet "$@"; }

fresh() { # variant [cold]
  bench/stack.sh stop >/dev/null 2>&1 || true
  STACK_BIN="$bin/$1" bench/stack.sh start 2 >/dev/null
  # shellcheck disable=SC1091
  source bench/.stack
  GATEWAY_URL="${GATEWAY_URLS%% *}"; GATEWAY_PID="${GATEWAY_PIDS%% *}"
  if [[ ${2:-} == cold ]]; then sleep 5; return; fi # memory baselines: no load, no garbage before them
  # JIT tiering settles in ~30 s of load; nothing measured before it has.
  load --target "$ROOMS_URL" --rooms 10 --clients 10 --senders 2 --rate 50 --duration 15 --drain 2 >/dev/null || true
  load --target "$GATEWAY_URL" --rooms 10 --clients 10 --senders 2 --rate 50 --duration 15 --drain 2 >/dev/null || true
}

paths() { # scenario variant round: one run per path
  for path in direct gateway; do
    target=$ROOMS_URL; pids="$ROOMS_PID $REDIS_PID"
    [[ $path == gateway ]] && { target=$GATEWAY_URL; pids="$pids $GATEWAY_PID"; }
    case $1 in
      c) load --target "$target" --rooms 10 --clients 10 --senders 2 --rate 100 --duration 10 --drain 3 \
           --pid $pids --json "$out/c-$2-$path-$3.json" >/dev/null || true ;;
      v) load --target "$target" --protocol v1 --rooms 10 --clients 10 --senders 2 --rate 50 --duration 10 --drain 3 \
           --pid $pids --json "$out/v-$2-$path-$3.json" >/dev/null || true ;;
      a) load --target "$target" --protocol v1 --rooms 1 --clients 2 --senders 2 --rate 10 --duration 20 --drain 2 \
           --pid $pids --json "$out/a-$2-$path-$3.json" >/dev/null || true ;;
      j) load --target "$target" --rooms 10 --joins 300 --json "$out/j-$2-$path-$3.json" >/dev/null || true ;;
      k) [[ $path == gateway ]] && continue
         # Sampled over the middle 8 s of 10 s of load, once a second (bench/compare_report.py reads the CSV).
         (sleep 1; "$counters" collect -p "$ROOMS_PID" --counters System.Runtime --format csv --refresh-interval 1 \
            --duration 00:00:00:08 -o "$out/k-$2-direct-$3.csv" >/dev/null 2>&1) &
         load --target "$target" --rooms 10 --clients 10 --senders 2 --rate 100 --duration 10 --drain 3 \
           --pid $pids --json "$out/k-$2-$path-$3.json" >/dev/null || true
         wait ;;
    esac
  done
}

for round in $(seq 1 "$ROUNDS"); do
  # Alternate which variant goes first, so neither always meets the machine in the same mood.
  order="old new"; ((round % 2 == 0)) && order="new old"
  for variant in $order; do
    echo "compare: round $round, $variant"
    if [[ $scenarios =~ [cvabjk] ]]; then
      fresh "$variant"
      [[ $scenarios == *c* ]] && paths c "$variant" "$round"
      [[ $scenarios == *v* ]] && paths v "$variant" "$round"
      [[ $scenarios == *a* ]] && paths a "$variant" "$round"
      [[ $scenarios == *j* ]] && paths j "$variant" "$round"
      [[ $scenarios == *k* ]] && paths k "$variant" "$round"
      if [[ $scenarios == *b* ]]; then
        load --target "$ROOMS_URL" --rooms 10 --clients 10 --senders 2 --rate 5 --ladder --factor 1.5 --duration 8 --drain 3 \
          --pid "$ROOMS_PID" "$REDIS_PID" --json "$out/b-$variant-direct-$round.json" >/dev/null || true
      fi
    fi
    if [[ $scenarios == *d* ]]; then
      for path in direct gateway; do
        fresh "$variant" cold
        if [[ $path == direct ]]; then targets=$ROOMS_URL; pids="$ROOMS_PID"; else targets=$GATEWAY_URLS; pids="$ROOMS_PID $GATEWAY_PIDS"; fi
        load --target $targets --protocol v1 --rooms 1000 --idle "$IDLE" --hold 20 --sources 4 --connect-concurrency 128 \
          --pid $pids --json "$out/d-$variant-$path-$round.json" >/dev/null || true
      done
    fi
  done
done
bench/stack.sh stop >/dev/null 2>&1 || true
python3 bench/compare_report.py "$out" | tee "$out/report.txt"
