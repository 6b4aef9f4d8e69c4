#!/usr/bin/env bash
# What `kill -9` takes under each durability, outside the app: N INCRs, then SIGKILL within the
# second, then a restart from the same folder, and how many INCRs came back. Redis and Garnet are
# started with the AppHost's options (LetsChat.AppHost/RedisPersistence.cs), on 127.0.0.1 only.
#
#   bench/aof_kill.sh          # N=200, every (server|garnet, everysec|always)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-200}"
garnet=LetsChat.Garnet/bin/Release/net10.0/LetsChat.Garnet.dll
[[ -f $garnet ]] || dotnet build LetsChat.Garnet -c Release -v q -nologo >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

start() { # kind durability dir: starts the server, sets pid
  case $1 in
    server) redis-server --port "$port" --bind 127.0.0.1 --dir "$3" --save "" --appendonly yes --appendfsync "$2" >/dev/null 2>&1 & ;;
    garnet)
      local args; mapfile -t args < <(bench/garnet_args.sh "$2" "$3")
      dotnet "$garnet" --port "$port" --bind 127.0.0.1 "${args[@]}" >/dev/null 2>&1 & ;;
  esac
  pid=$!
  for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && return; sleep 0.1; done
  echo "aof_kill: $1 did not start" >&2; exit 1
}
stop() { kill "$pid" 2>/dev/null || true; for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done; }

echo "| server | durability | INCRs sent | kept after kill -9 |"
echo "|---|---|---|---|"
for kind in server garnet; do
  for d in everysec always; do
    dir=$(mktemp -d)
    start "$kind" "$d" "$dir"
    for _ in $(seq 1 "$N"); do echo "INCR c"; done | redis-cli -p "$port" >/dev/null
    kill -9 "$pid"; wait "$pid" 2>/dev/null || true
    start "$kind" "$d" "$dir"
    echo "| $kind | $d | $N | $(redis-cli -p "$port" get c) |"
    stop; rm -rf "$dir"
  done
done
