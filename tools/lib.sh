# Shared by the tools/ scripts: paths and small helpers. Source it, do not run it.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_VERSION=3.9.1
# Downloads survive between runs here (outside the work tree).
CACHE_DIR="${RETENTION_CACHE:-$HOME/.cache/retention-suite}"
KAFKA_JARS="$CACHE_DIR/kafka-$KAFKA_VERSION/jars"
# Python packages of tests/python and the demo report (tools/python/requirements.txt),
# one virtualenv per set of requirements, so checkouts of different commits can share
# the cache without reinstalling each other's.
VENV="$CACHE_DIR/venv-$(sha256sum "$ROOT/tools/python/requirements.txt" | cut -c1-12)"
# Pinned tools built or installed by tools/install for tools/check-deploy.
TOOLS_BIN="$CACHE_DIR/tools/bin"
ASYNCAPI_DIR="$CACHE_DIR/node/asyncapi"
# Go: the machine's (1.25 or later), with its module and build caches kept here.
GO="$(command -v go || echo /usr/local/go/bin/go)"
go_env() { GOMODCACHE="$CACHE_DIR/go/mod" GOCACHE="$CACHE_DIR/go/cache" GOFLAGS=-buildvcs=false GOTOOLCHAIN=local "$@"; }
# Servers' data, logs and pids for this checkout.
RUN_DIR="${RETENTION_RUN_DIR:-$ROOT/.cache/run}"
STACK_ENV="$RUN_DIR/stack.env"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# A TCP port nobody listens on now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits until "$@" succeeds, at most $1 seconds (checked every 0.2 s).
wait_for() {
  local timeout=$1; shift
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}
