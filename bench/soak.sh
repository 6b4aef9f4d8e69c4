#!/usr/bin/env bash
# Soak: steady load with connection churn for a while (default 30 minutes), sampling the RSS of
# every service and Redis's used_memory once a minute; prints the slope of each (MiB per hour,
# least squares over the second half, after warm-up). Generator on core 0, stack on core 1.
#
#   bench/soak.sh [minutes]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-30}"
out="bench/results/soak-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
dotnet build bench/LetsChat.LoadTest -c Release -v q -nologo >/dev/null
trap 'bench/stack.sh stop >/dev/null 2>&1 || true' EXIT
bench/stack.sh stop >/dev/null 2>&1 || true
bench/stack.sh start 1 >/dev/null
# shellcheck disable=SC1091
source bench/.stack
password=$(sed -n 's/^requirepass //p' "$STACK_DIR/redis.conf")
rss() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
used() { REDISCLI_AUTH="$password" redis-cli -p "$REDIS_PORT" info memory | awk -F: '/^used_memory:/ { printf "%.1f", $2 / 1048576 }'; }

echo "minute,rooms_mib,gateway_mib,redis_rss_mib,redis_used_mib,delivered_per_s,lost" > "$out/soak.csv"
for minute in $(seq 1 "$minutes"); do
  # One minute of load through the gateway: 20 rooms × 10 v1 clients, 2 senders at 20 msg/s
  # (8,000 deliveries/s); every minute's sockets are new ones (churn: 200 connects and closes a
  # minute), in the same 20 rooms, whose logs are capped at 1,000 messages: a flat Redis is the
  # expectation. (Fresh rooms every minute would grow Redis by design: rooms are kept 7 days.)
  taskset -c 0 dotnet bench/LetsChat.LoadTest/bin/Release/net10.0/LetsChat.LoadTest.dll --quiet \
    --target "$GATEWAY_URLS" --protocol v1 --rooms 20 --clients 10 --senders 2 --rate 20 --duration 55 --drain 3 --room-prefix soak --same-rooms \
    --json "$out/minute-$minute.json" > /dev/null || true
  delivered=$(grep -o '"deliveredPerSecond": [0-9.]*' "$out/minute-$minute.json" | awk '{print $2}')
  lost=$(grep -o '"lost": [0-9]*' "$out/minute-$minute.json" | awk '{print $2}')
  line="$minute,$(rss "$ROOMS_PID"),$(rss "$GATEWAY_PIDS"),$(rss "$REDIS_PID"),$(used),$delivered,$lost"
  echo "$line" | tee -a "$out/soak.csv"
done

# Least-squares slope over the second half, in MiB per hour (the first half includes warm-up).
awk -F, -v half=$((minutes / 2)) 'NR > 1 && $1 > half {
    n++; x = $1; sx += x; sxx += x * x
    for (i = 2; i <= 5; i++) { y[i] = $i; sy[i] += y[i]; sxy[i] += x * y[i] } }
  END {
    split("rooms gateway redis_rss redis_used", name, " ")
    for (i = 2; i <= 5; i++) printf "%s: %+.1f MiB/hour\n", name[i - 1], 60 * (n * sxy[i] - sx * sy[i]) / (n * sxx - sx * sx)
  }' "$out/soak.csv" | tee "$out/slopes.txt"
echo "results: $out"
