#!/usr/bin/env bash
# The embedded Garnet's options as the AppHost gives them (LetsChat.AppHost/Extensions.cs and
# RedisPersistence.GarnetArgs), one per line, for the bench scripts that start Garnet by hand:
#   bench/garnet_args.sh always|everysec DATA_DIR     (port and bind are the caller's)
set -euo pipefail
case ${1:?durability} in
  always) commit=(--aof-commit-freq 0 --aof-commit-wait) ;;
  everysec) commit=(--aof-commit-freq 1000) ;;
  *) echo "garnet_args: always or everysec, not $1" >&2; exit 2 ;;
esac
printf '%s\n' -m 256m -i 16m --lua --lua-transaction-mode \
  --checkpointdir "${2:?data dir}" --device-type RandomAccess --recover --aof --aof-size-limit 64m --aof-segment-size 32m \
  "${commit[@]}"
