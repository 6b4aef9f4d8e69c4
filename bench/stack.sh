#!/usr/bin/env bash
# Starts the chat stack for benchmarks without the orchestrator (whose TCP proxy would sit in the path
# and in the CPU figures): redis-server, one room service and one or more gateways, all pinned to one
# core; the load generator runs on the other. Each process is stopped by the PID it got here.
#
#   bench/stack.sh start [gateways]   # prints the ports and PIDs, writes them to bench/.stack
#   bench/stack.sh stop
#
# ROOMS_ENV / GATEWAY_ENV="NAME=value ..." add environment variables to the room service / gateways.
# STACK_BIN=DIR runs the builds in DIR/rooms and DIR/gateway instead of building the working tree
# (bench/compare.sh uses it to run two revisions side by side).
# REDIS_KIND=server|garnet|cluster (default server) and DURABILITY=none|everysec|always (default none, so
# delivery-path figures stay comparable with earlier runs) start Redis as the AppHost would, with
# its data in the stack's folder on the same disk as the default LetsChat:DataDir. A cluster is
# three masters and three replicas (MASTER_PIDS, REPLICA_PIDS in bench/.stack), as LetsChat:Redis=cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
state=bench/.stack
SERVER_CORE="${SERVER_CORE:-1}"

# N consecutive ports whose cluster-bus ports (+10000) are free too.
free_ports() { python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(200):
    base = random.randint(20000, 30000)
    socks = []
    try:
        for p in [*range(base, base + n), *range(base + 10000, base + 10000 + n)]:
            s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
        print(" ".join(str(p) for p in range(base, base + n))); break
    except OSError:
        pass
    finally:
        for s in socks: s.close()
PY
}

# Six redis-server nodes, then redis-cli --cluster create; waits for cluster_state:ok and every
# master's replica online. Sets REDIS_PID (all six), CONNECTION (every node) in bench/.stack.
start_cluster() { # dir password durability
  local dir=$1 password=$2 durability=$3 ports pids=() nodes=()
  read -r -a ports <<< "$(free_ports 6)"
  for port in "${ports[@]}"; do
    mkdir -p "$dir/data/$port"
    local persistence='appendonly no'
    [[ $durability != none ]] && persistence="appendonly yes
appendfsync $durability"
    printf 'port %s\nbind 127.0.0.1\nrequirepass %s\nmasterauth %s\nsave ""\n%s\ndir %s\ncluster-enabled yes\ncluster-node-timeout 2000\n' \
      "$port" "$password" "$password" "$persistence" "$dir/data/$port" > "$dir/redis-$port.conf"
    chmod 600 "$dir/redis-$port.conf"
    taskset -c "$SERVER_CORE" redis-server "$dir/redis-$port.conf" > "$dir/redis-$port.log" 2>&1 &
    pids+=("$!"); nodes+=("127.0.0.1:$port")
  done
  for port in "${ports[@]}"; do
    for _ in $(seq 1 100); do REDISCLI_AUTH="$password" redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.2; done
  done
  REDISCLI_AUTH="$password" redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes > "$dir/create.log" 2>&1
  for _ in $(seq 1 150); do
    local ok=1
    REDISCLI_AUTH="$password" redis-cli -p "${ports[0]}" cluster info | grep -q 'cluster_state:ok' || ok=0
    for port in "${ports[@]}"; do
      if REDISCLI_AUTH="$password" redis-cli -p "$port" role | head -1 | grep -q master; then
        REDISCLI_AUTH="$password" redis-cli -p "$port" info replication | grep -q 'state=online' || ok=0
      fi
    done
    [[ $ok == 1 ]] && break; sleep 0.2
  done
  local masters=() replicas=()
  for i in "${!ports[@]}"; do
    if REDISCLI_AUTH="$password" redis-cli -p "${ports[$i]}" role | head -1 | grep -q master; then masters+=("${pids[$i]}"); else replicas+=("${pids[$i]}"); fi
  done
  { echo "REDIS_PID=\"${pids[*]}\""; echo "MASTER_PIDS=\"${masters[*]}\""; echo "REPLICA_PIDS=\"${replicas[*]}\""
    echo "REDIS_PASSWORD=$password"; echo "REDIS_PORT=${ports[0]}"; echo "STACK_DIR=$dir"; } > $state
  CONNECTION="$(IFS=,; echo "${nodes[*]}"),password=$password"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_http() { # url
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.2; done
  echo "stack: $1 did not answer" >&2; return 1
}

start() {
  local gateways="${1:-1}"
  [[ -f $state ]] && { echo "stack: already running (bench/.stack); stop it first" >&2; exit 1; }
  local rooms_dir=LetsChat.RoomService/bin/Release/net10.0 gateway_dir=LetsChat.Gateway/bin/Release/net10.0
  if [[ -n ${STACK_BIN:-} ]]; then
    rooms_dir=$STACK_BIN/rooms; gateway_dir=$STACK_BIN/gateway
  else
    dotnet build LetsChat.RoomService -c Release -v q -nologo >/dev/null
    dotnet build LetsChat.Gateway -c Release -v q -nologo >/dev/null
  fi

  local redis_port rooms_port password
  redis_port=$(free_port); rooms_port=$(free_port)
  password=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  local dir; dir=$(mktemp -d -p "${TMPDIR:-/tmp}"); chmod 700 "$dir"; mkdir "$dir/data"
  local durability="${DURABILITY:-none}"
  case "${REDIS_KIND:-server}:$durability" in
    server:none|server:everysec|server:always|cluster:none|cluster:everysec|cluster:always) ;;
    garnet:none|garnet:everysec|garnet:always)
      [[ -f LetsChat.Garnet/bin/Release/net10.0/LetsChat.Garnet.dll ]] || dotnet build LetsChat.Garnet -c Release -v q -nologo >/dev/null ;;
    *) echo "stack: REDIS_KIND=server|garnet|cluster, DURABILITY=none|everysec|always" >&2; exit 2 ;;
  esac
  CONNECTION="127.0.0.1:$redis_port,password=$password"
  if [[ ${REDIS_KIND:-server} == cluster ]]; then
    start_cluster "$dir" "$password" "$durability"
  elif [[ ${REDIS_KIND:-server} == garnet ]]; then
    # The AppHost's Garnet options (LetsChat.AppHost/Extensions.cs, RedisPersistence.cs).
    local garnet=(--port "$redis_port" --bind 127.0.0.1 -m 256m -i 16m --lua --lua-transaction-mode)
    case $durability in
      always) garnet+=(--checkpointdir "$dir/data" --device-type RandomAccess --recover --aof --aof-commit-freq 0 --aof-commit-wait) ;;
      everysec) garnet+=(--checkpointdir "$dir/data" --device-type RandomAccess --recover --aof --aof-commit-freq 1000) ;;
    esac
    LETSCHAT_REDIS_PASSWORD="$password" taskset -c "$SERVER_CORE" dotnet LetsChat.Garnet/bin/Release/net10.0/LetsChat.Garnet.dll "${garnet[@]}" > "$dir/redis.log" 2>&1 &
  else
    local persistence='appendonly no'
    [[ $durability != none ]] && persistence="appendonly yes
appendfsync $durability"
    printf 'port %s\nbind 127.0.0.1\nrequirepass %s\nsave ""\n%s\ndir %s\n' "$redis_port" "$password" "$persistence" "$dir/data" > "$dir/redis.conf"
    chmod 600 "$dir/redis.conf"
    taskset -c "$SERVER_CORE" redis-server "$dir/redis.conf" > "$dir/redis.log" 2>&1 &
  fi
  if [[ ${REDIS_KIND:-server} != cluster ]]; then
    echo "REDIS_PID=$!" > $state
    echo "REDIS_PASSWORD=$password" >> $state
    for _ in $(seq 1 100); do REDISCLI_AUTH="$password" redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.2; done
    echo "REDIS_PORT=$redis_port" >> $state
    echo "STACK_DIR=$dir" >> $state
  fi

  # ROOMS_SPIN=N runs the room service with the thread pool's spin limit at N instead of the
  # project's 0 (70 is .NET's default): the A/B of docs/benchmarks.md. A copy of its runtimeconfig
  # carries the value.
  local exec_args=()
  if [[ -n ${ROOMS_SPIN:-} ]]; then
    sed "s/\"System.Threading.ThreadPool.UnfairSemaphoreSpinLimit\": [0-9]*/\"System.Threading.ThreadPool.UnfairSemaphoreSpinLimit\": $ROOMS_SPIN/" \
      "$rooms_dir/LetsChat.RoomService.runtimeconfig.json" > "$dir/rooms.runtimeconfig.json"
    exec_args=(exec --runtimeconfig "$dir/rooms.runtimeconfig.json")
  fi
  # Benchmarks measure capacity: the per-socket, per-address and per-network limits are out of the way
  # (the load comes from 127.0.0.1; an older build ignores the request-limit setting).
  env ${ROOMS_ENV:-} LetsChat__Rooms__FramesPerSecond=1000000 LetsChat__Rooms__FrameBurst=1000000 \
  LetsChat__Rooms__MaxConnectionsPerIp=1000000 LetsChat__Rooms__RequestLimits__ExemptNetworks=127.0.0.0/8,::1/128 \
  ConnectionStrings__redis="$CONNECTION" \
  ASPNETCORE_URLS="http://127.0.0.1:$rooms_port" ASPNETCORE_ENVIRONMENT=Production \
  Logging__LogLevel__Default=Warning \
    taskset -c "$SERVER_CORE" dotnet "${exec_args[@]}" "$rooms_dir/LetsChat.RoomService.dll" > "$dir/rooms.log" 2>&1 &
  echo "ROOMS_PID=$!" >> $state
  echo "ROOMS_URL=http://127.0.0.1:$rooms_port" >> $state
  wait_http "http://127.0.0.1:$rooms_port/alive"

  local urls=() pids=()
  for i in $(seq 1 "$gateways"); do
    local port; port=$(free_port)
    env ${GATEWAY_ENV:-} services__rooms__http__0="http://127.0.0.1:$rooms_port" services__frontend__http__0="http://127.0.0.1:9" \
    ASPNETCORE_URLS="http://127.0.0.1:$port" ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
      taskset -c "$SERVER_CORE" dotnet "$gateway_dir/LetsChat.Gateway.dll" > "$dir/gateway$i.log" 2>&1 &
    pids+=("$!"); urls+=("http://127.0.0.1:$port")
    wait_http "http://127.0.0.1:$port/alive"
  done
  echo "GATEWAY_PIDS=\"${pids[*]}\"" >> $state
  echo "GATEWAY_URLS=\"${urls[*]}\"" >> $state
  cat $state
}

stop() {
  [[ -f $state ]] || { echo "stack: not running"; return 0; }
  # shellcheck disable=SC1090
  source $state
  for pid in $GATEWAY_PIDS $ROOMS_PID $REDIS_PID; do kill "$pid" 2>/dev/null || true; done
  for pid in $GATEWAY_PIDS $ROOMS_PID $REDIS_PID; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  rm -rf "$STACK_DIR" $state
  echo "stack: stopped"
}

case "${1:-}" in
  start) start "${2:-1}" ;;
  stop) stop ;;
  *) echo "usage: bench/stack.sh start [gateways] | stop" >&2; exit 2 ;;
esac
