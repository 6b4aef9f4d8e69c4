#!/usr/bin/env bash
# Where the room service's time goes at scenario c's load (20,000 deliveries/s, direct): a
# `perf record -e cpu-clock -g` of the room service for 8 s, then the top DSOs and symbols and
# what the time was for: per message or per delivery (bench/profile_split.py).
# cpu-clock is a software event, so it works in VMs without a PMU. Only 127.0.0.1 is contacted.
# Results go to bench/results/profile-<UTC time>/.
#
#   bench/profile.sh                                   # builds the working tree (Release)
#   ROOMS_ENV="DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0" bench/profile.sh   # JIT code by name
#   PERF_DATA=/tmp/rooms.perf bench/profile.sh         # keep the recording (perf report -i ... -G)
#   WARMUP=60 bench/profile.sh                         # seconds of warm-up load first (default 20);
#                                                      # libclrjit.so is still 8-12 % of the samples after either
set -euo pipefail
cd "$(dirname "$0")/.."
GEN_CORE="${GEN_CORE:-0}"
export ROOMS_ENV="${ROOMS_ENV:-DOTNET_PerfMapEnabled=1}"
out="bench/results/profile-$(date -u +%Y%m%dT%H%M%SZ)"
tmp="$(mktemp -d)"
mkdir -p "$out"
trap 'bench/stack.sh stop >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
if [[ -z ${STACK_BIN:-} ]]; then
  dotnet publish LetsChat.RoomService -c Release -o "$tmp/bin/rooms" -v q -nologo >/dev/null
  dotnet publish LetsChat.Gateway -c Release -o "$tmp/bin/gateway" -v q -nologo >/dev/null
  STACK_BIN="$tmp/bin"
fi
dotnet build bench/LetsChat.LoadTest -c Release -v q -nologo >/dev/null
load() { taskset -c "$GEN_CORE" dotnet bench/LetsChat.LoadTest/bin/Release/net10.0/LetsChat.LoadTest.dll --quiet "$@"; }

STACK_BIN="$STACK_BIN" bench/stack.sh start 1 >/dev/null
# shellcheck disable=SC1091
source bench/.stack
load --target "$ROOMS_URL" --rooms 10 --clients 10 --senders 2 --rate 50 --duration "${WARMUP:-20}" --drain 2 >/dev/null || true # JIT tiering
(sleep 1; perf record -e cpu-clock -F 999 -g -p "$ROOMS_PID" -o "${PERF_DATA:-$tmp/perf.data}" -- sleep 8 >/dev/null 2>&1) &
load --target "$ROOMS_URL" --rooms 10 --clients 10 --senders 2 --rate 100 --duration 10 --drain 3 \
  --pid "$ROOMS_PID" --json "$out/load.json" >/dev/null || true
wait
# head closes its pipe early; under pipefail that would end the block before the split.
{ set +o pipefail
  echo "# ROOMS_ENV=$ROOMS_ENV WARMUP=${WARMUP:-20}"
  perf report -i "${PERF_DATA:-$tmp/perf.data}" --no-children --sort dso --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -12
  echo
  perf report -i "${PERF_DATA:-$tmp/perf.data}" --no-children --sort sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -20
  echo
  echo "# what the time was for (bench/profile_split.py)"
  perf script -i "${PERF_DATA:-$tmp/perf.data}" -F comm,ip,sym 2>/dev/null | python3 bench/profile_split.py
} | tee "$out/report.txt"
