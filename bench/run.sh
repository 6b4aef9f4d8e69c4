#!/usr/bin/env bash
# The benchmarks of docs/benchmarks.md, in one run: the generator pinned to core 0, redis-server,
# the room service and the gateway(s) to core 1 (bench/stack.sh). Results (JSON and tables) go to
# bench/results/<UTC time>/. Takes about 15 minutes. Only 127.0.0.x is contacted.
#
#   bench/run.sh            # everything
#   bench/run.sh a c        # some of: a b c d s g f i
set -euo pipefail
cd "$(dirname "$0")/.."
GEN_CORE="${GEN_CORE:-0}"
out="bench/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
dotnet build bench/LetsChat.LoadTest -c Release -v q -nologo >/dev/null
load() { taskset -c "$GEN_CORE" dotnet bench/LetsChat.LoadTest/bin/Release/net10.0/LetsChat.LoadTest.dll --quiet "$@"; }
trap 'bench/stack.sh stop >/dev/null 2>&1 || true' EXIT
scenarios="${*:-a b c d s g f i}"

{ echo "# $(date -u) on $(nproc) cores, $(uname -r)"; redis-server --version; dotnet --version; } > "$out/env.txt"

fresh() { # gateways [cold]
  bench/stack.sh stop >/dev/null 2>&1 || true
  ROOMS_SPIN="${SPIN:-}" bench/stack.sh start "$1" >/dev/null
  # shellcheck disable=SC1091
  source bench/.stack
  GATEWAY_URL="${GATEWAY_URLS%% *}"; GATEWAY_PID="${GATEWAY_PIDS%% *}"
  if [[ ${2:-} == cold ]]; then sleep 5; return; fi # memory baselines: no load, no garbage before them
  # JIT tiering settles in ~30 s of load; nothing measured before it has.
  load --target "$ROOMS_URL" --rooms 10 --clients 10 --senders 2 --rate 50 --duration 15 --drain 2 >/dev/null
  load --target "$GATEWAY_URL" --rooms 10 --clients 10 --senders 2 --rate 50 --duration 15 --drain 2 >/dev/null
}

if [[ $scenarios == *a* ]]; then
  fresh 1
  for rep in 1 2 3; do
    for path in direct gateway; do
      target=$ROOMS_URL; pids="$ROOMS_PID $REDIS_PID"
      [[ $path == gateway ]] && { target=$GATEWAY_URL; pids="$pids $GATEWAY_PID"; }
      for proto in seed v1; do
        load --target "$target" --protocol $proto --rooms 1 --clients 2 --senders 2 --rate 10 --duration 20 --drain 2 \
          --pid $pids --json "$out/a-$path-$proto-$rep.json" | tee -a "$out/a.txt"
      done
    done
  done
fi

if [[ $scenarios == *b* ]]; then
  fresh 1
  for path in direct gateway; do
    target=$ROOMS_URL; pids="$ROOMS_PID $REDIS_PID"
    [[ $path == gateway ]] && { target=$GATEWAY_URL; pids="$pids $GATEWAY_PID"; }
    echo "## ladder, $path" | tee -a "$out/b.txt"
    load --target "$target" --rooms 10 --clients 10 --senders 2 --rate 5 --ladder --factor 1.5 --duration 8 --drain 3 \
      --pid $pids --json "$out/b-$path.json" | tee -a "$out/b.txt" || true
  done
fi

if [[ $scenarios == *c* ]]; then
  fresh 1
  # 10 rooms × 10 clients × 2 senders × 100 msg/s = 2,000 sends/s = 20,000 deliveries/s.
  for rep in 1 2 3 4 5; do
    for path in direct gateway; do
      target=$ROOMS_URL; pids="$ROOMS_PID $REDIS_PID"
      [[ $path == gateway ]] && { target=$GATEWAY_URL; pids="$pids $GATEWAY_PID"; }
      load --target "$target" --rooms 10 --clients 10 --senders 2 --rate 100 --duration 10 --drain 3 \
        --pid $pids --json "$out/c-$path-$rep.json" | tee -a "$out/c.txt"
    done
  done
fi

if [[ $scenarios == *d* ]]; then
  # One gateway process cannot hold 18,000 proxied sockets under a 20,000-fd limit (each needs two
  # fds), so two gateways share them. A fresh stack per size: the GC keeps freed memory, which
  # would hide the next size's cost.
  for n in 1000 10000 18000; do
    for path in direct gateway; do
      fresh 2 cold
      if [[ $path == direct ]]; then targets=$ROOMS_URL; pids="$ROOMS_PID"; else targets=$GATEWAY_URLS; pids="$ROOMS_PID $GATEWAY_PIDS"; fi
      load --target $targets --protocol v1 --rooms 1000 --idle "$n" --hold 20 --sources 4 --connect-concurrency 128 \
        --pid $pids --json "$out/d-$path-$n.json" | tee -a "$out/d.txt"
    done
  done
fi
if [[ $scenarios == *s* ]]; then
  # The thread pool's idle spinning, A/B: .NET's default spin limit (70) against the project's 0,
  # alternating fresh stacks, at the fixed 20,000 deliveries/s of (c), straight at the room service.
  for rep in 1 2 3; do
    for spin in 70 0; do
      SPIN=$spin fresh 1
      load --target "$ROOMS_URL" --rooms 10 --clients 10 --senders 2 --rate 100 --duration 10 --drain 3 \
        --pid "$ROOMS_PID" "$REDIS_PID" --json "$out/s-spin$spin-$rep.json" | tee -a "$out/s.txt"
    done
  done
fi
if [[ $scenarios == *g* ]]; then
  # The generator's own ceiling: a stand-in server (pinned to core 1) that only sends, as fast as
  # the tool reads; 100 sockets; the tool on core 0. Nothing is sent by the tool (rate ~0).
  bench/stack.sh stop >/dev/null 2>&1 || true
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  taskset -c 1 dotnet bench/LetsChat.LoadTest/bin/Release/net10.0/LetsChat.LoadTest.dll --serve-blast "$port" 2>/dev/null &
  blast=$!
  sleep 3
  for rep in 1 2 3; do
    load --target "http://127.0.0.1:$port" --rooms 10 --clients 10 --senders 1 --rate 0.001 --duration 10 --drain 1 \
      --pid "$blast" --json "$out/g-$rep.json" | tee -a "$out/g.txt"
  done
  kill "$blast"
fi
if [[ $scenarios == *f* ]]; then
  # The write floor: a stand-in that only writes pre-built frames, one loop for all 100 sockets at
  # 200 frames/s each (20,000/s), 1 and then 16 frames per write; its CPU per frame is the cost of a write.
  bench/stack.sh stop >/dev/null 2>&1 || true
  for rep in 1 2 3; do
    for batch in 1 16; do
      port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
      taskset -c 1 dotnet bench/LetsChat.LoadTest/bin/Release/net10.0/LetsChat.LoadTest.dll --serve-blast "$port" --blast-batch "$batch" --blast-rate 200 >/dev/null 2>&1 &
      blast=$!
      sleep 3
      load --target "http://127.0.0.1:$port" --rooms 10 --clients 10 --senders 1 --rate 0.001 --duration 10 --drain 1 \
        --pid "$blast" --json "$out/f-batch$batch-$rep.json" | tee -a "$out/f.txt"
      kill "$blast"; wait "$blast" 2>/dev/null || true
    done
  done
fi
if [[ $scenarios == *i* ]]; then
  # The gateway's inline socket completions, A/B: off (=0) against its own default (on), at the
  # 20,000 deliveries/s of (c), through the gateway, alternating fresh stacks.
  for rep in 1 2 3; do
    for inline in 0 1; do
      bench/stack.sh stop >/dev/null 2>&1 || true
      GATEWAY_ENV="DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=$inline" bench/stack.sh start >/dev/null
      # shellcheck disable=SC1091
      source bench/.stack
      load --target "${GATEWAY_URLS%% *}" --rooms 10 --clients 10 --senders 2 --rate 50 --duration 12 --drain 2 >/dev/null
      load --target "${GATEWAY_URLS%% *}" --rooms 10 --clients 10 --senders 2 --rate 100 --duration 10 --drain 3 \
        --pid "$ROOMS_PID" "$REDIS_PID" "${GATEWAY_PIDS%% *}" --json "$out/i-inline$inline-$rep.json" | tee -a "$out/i.txt"
    done
  done
fi
echo "results: $out"
