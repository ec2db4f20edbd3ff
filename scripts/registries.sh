#!/usr/bin/env bash
# Starts and stops the two loopback OCI registries the container tests and CI use (Debian
# `docker-registry`): an upstream that plays quay.io and a pull-through mirror in front of it.
#
#   scripts/registries.sh start            both (the upstream first: the mirror dies without it)
#   scripts/registries.sh stop             both
#   scripts/registries.sh stop-upstream    only the upstream (the mirror keeps serving its cache)
#   scripts/registries.sh start-upstream   only the upstream again
#   scripts/registries.sh status
#
# Environment: NEBULA_REGISTRY_ROOT (default /tmp/nebula-registry), NEBULA_REGISTRY_UPSTREAM_PORT
# (5001), NEBULA_REGISTRY_MIRROR_PORT (5000). Storage and logs live under the root.
set -euo pipefail
ROOT=${NEBULA_REGISTRY_ROOT:-/tmp/nebula-registry}
UPSTREAM_PORT=${NEBULA_REGISTRY_UPSTREAM_PORT:-5001}
MIRROR_PORT=${NEBULA_REGISTRY_MIRROR_PORT:-5000}
FIXTURES="$(cd "$(dirname "$0")/.." && pwd)/test/containers/fixtures"

command -v docker-registry >/dev/null || { echo "docker-registry is not installed (apt-get install docker-registry)" >&2; exit 1; }
mkdir -p "$ROOT"

render() { # template name port
  sed -e "s#@ROOT@#$ROOT#g" -e "s#@PORT@#$3#g" -e "s#@UPSTREAM_PORT@#$UPSTREAM_PORT#g" "$FIXTURES/$1" > "$ROOT/$2.yml"
}

wait_up() { # name port
  for _ in $(seq 1 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$2/v2/" && return 0
    if ! kill -0 "$(cat "$ROOT/$1.pid" 2>/dev/null)" 2>/dev/null; then
      echo "registry $1 exited at start; log: $ROOT/$1.log" >&2; tail -5 "$ROOT/$1.log" >&2; return 1
    fi
    sleep 0.1
  done
  echo "registry $1 did not answer on 127.0.0.1:$2 within 10 s; log: $ROOT/$1.log" >&2
  return 1
}

start_one() { # name template port
  if [ -f "$ROOT/$1.pid" ] && kill -0 "$(cat "$ROOT/$1.pid")" 2>/dev/null; then return 0; fi
  render "$2" "$1" "$3"
  # setsid: the registry outlives this script and does not get the caller's signals.
  setsid docker-registry serve "$ROOT/$1.yml" >>"$ROOT/$1.log" 2>&1 < /dev/null &
  echo $! > "$ROOT/$1.pid"
  wait_up "$1" "$3"
}

stop_one() { # name
  local pid
  pid=$(cat "$ROOT/$1.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$ROOT/$1.pid"
}

case "${1:-}" in
  start) start_one upstream upstream.yml "$UPSTREAM_PORT"; start_one mirror mirror.yml "$MIRROR_PORT"
         echo "upstream http://127.0.0.1:$UPSTREAM_PORT mirror http://127.0.0.1:$MIRROR_PORT" ;;
  start-upstream) start_one upstream upstream.yml "$UPSTREAM_PORT" ;;
  stop-upstream) stop_one upstream ;;
  stop) stop_one mirror; stop_one upstream ;;
  status) for n in upstream mirror; do
            if [ -f "$ROOT/$n.pid" ] && kill -0 "$(cat "$ROOT/$n.pid")" 2>/dev/null; then echo "$n running (pid $(cat "$ROOT/$n.pid"))"; else echo "$n stopped"; fi
          done ;;
  *) echo "usage: $0 start|stop|start-upstream|stop-upstream|status" >&2; exit 2 ;;
esac
