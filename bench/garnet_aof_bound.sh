#!/usr/bin/env bash
# Does Garnet's data folder stay bounded, and does it recover from a checkpoint plus the log after
# it? Garnet runs with the AppHost's options (LetsChat.AppHost/RedisPersistence.cs, everysec, so it
# is quick); ROUNDS rounds of 20,000 SETs of 1 KB overwrite the same keys (about 20 MB of log each),
# the folder is measured after each; then a sorted set, kill -9, a restart, and what came back.
#
#   bench/garnet_aof_bound.sh        # ROUNDS=6
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${ROUNDS:-6}"
garnet=LetsChat.Garnet/bin/Release/net10.0/LetsChat.Garnet.dll
[[ -f $garnet ]] || dotnet build LetsChat.Garnet -c Release -v q -nologo >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT

start() {
  local args; mapfile -t args < <(bench/garnet_args.sh everysec "$dir")
  dotnet "$garnet" --port "$port" --bind 127.0.0.1 "${args[@]}" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && return; sleep 0.1; done
  echo "garnet_aof_bound: Garnet did not start" >&2; exit 1
}
mb() { du -sm "$1" 2>/dev/null | cut -f1 || echo 0; }

start
value=$(head -c 1000 /dev/zero | tr '\0' x)
echo "| round | log written (MB) | AOF/ (MB) | Store/ (MB) | checkpoints |"
echo "|---|---|---|---|---|"
for r in $(seq 1 "$ROUNDS"); do
  for i in $(seq 1 20000); do echo "SET k$i $value$r"; done | redis-cli -p "$port" >/dev/null
  sleep 7 # the size check runs every 5 s
  echo "| $r | $((r * 20)) | $(mb "$dir/AOF") | $(mb "$dir/Store") | $(ls "$dir/Store/checkpoints/cpr-checkpoints" 2>/dev/null | wc -l) |"
done
for i in $(seq 1 300); do echo "ZADD z $i m$i"; done | redis-cli -p "$port" >/dev/null
sleep 1.5 # past everysec's window
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
start
echo
echo "after kill -9 and a restart: $(redis-cli -p "$port" dbsize) keys (expected 20001), sorted set $(redis-cli -p "$port" zcard z) (300), k20000 ends in $(redis-cli -p "$port" get k20000 | tail -c 2) (round $ROUNDS)"
