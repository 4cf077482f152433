# Sourced by scripts/test and scripts/bench: installs what a fresh Debian machine lacks
# (when root), starts a throwaway PostgreSQL cluster and redis-server on private loopback
# ports, and stops and deletes both on exit, whatever happens.
#
# Sets: PGPORT, REDISPORT, PGBIN, PG_DIR, REDIS_DIR.
# Env:  ONEID_TEST_PG_PORT (25432), ONEID_TEST_REDIS_PORT (26379),
#       SERVICES_EXTRA ("command:package ..."), SERVICES_LOG_PREFIX (for messages).
# The caller defines die().

SERVICES_LOG_PREFIX="${SERVICES_LOG_PREFIX:-scripts}"
# Cleanup hooks of the caller, run before the services stop.
SERVICES_ON_EXIT="${SERVICES_ON_EXIT:-}"

# Newest installed PostgreSQL server; Debian keeps its binaries off PATH (and
# a client-only package also creates a bin dir, hence looking for initdb).
pg_bindir() {
  local f
  f=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n1) || true
  [[ -n "$f" ]] && dirname "$f"
}

# --- system dependencies --------------------------------------------------
# perl must be the full distribution, not just perl-base: the vendored
# OpenSSL build (openssl-src) runs Configure, which needs FindBin/IPC::Cmd.
missing=()
pg_bindir >/dev/null || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v make >/dev/null || missing+=(make)
perl -MFindBin -MIPC::Cmd -MFile::Compare -e 1 2>/dev/null || missing+=(perl)
command -v pkg-config >/dev/null || missing+=(pkg-config)
# Callers may need more (scripts/bench: wrk, curl): "command:package" pairs.
for extra in ${SERVICES_EXTRA:-}; do
  command -v "${extra%%:*}" >/dev/null || missing+=("${extra#*:}")
done
if ((${#missing[@]})); then
  ((EUID == 0)) || die "missing ${missing[*]}; install them (apt-get needs root)"
  echo "$SERVICES_LOG_PREFIX: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
PGBIN=$(pg_bindir) || die "no PostgreSQL server under /usr/lib/postgresql"

# --- throwaway servers ----------------------------------------------------
PG_DIR="" REDIS_DIR="" REDIS_PID=""
cleanup() {
  local rc=$?
  set +e
  [[ -n "$SERVICES_ON_EXIT" ]] && eval "$SERVICES_ON_EXIT"
  if [[ -n "$PG_DIR" && -f "$PG_DIR/data/postmaster.pid" ]]; then
    as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop >/dev/null
  fi
  if [[ -n "$REDIS_PID" ]]; then
    kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null
  fi
  [[ -n "$PG_DIR" ]] && rm -rf "$PG_DIR"
  [[ -n "$REDIS_DIR" ]] && rm -rf "$REDIS_DIR"
  exit "$rc"
}
trap cleanup EXIT
# Turn Ctrl-C / kill into a normal exit so the EXIT trap always tidies up.
trap 'exit 130' INT
trap 'exit 143' TERM

# PostgreSQL refuses to run as root, so as root we borrow the `postgres`
# system user. The subshell cd keeps it out of a cwd it may not be able to read.
as_pg() {
  if ((EUID == 0)); then (cd "$PG_DIR" && runuser -u postgres -- "$@"); else "$@"; fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Another checkout's test run (or a real server) may hold the default port.
free_port() {
  local p=$1
  for _ in $(seq 100); do
    port_in_use "$p" || { echo "$p"; return; }
    p=$((p + 1))
  done
  die "no free port in $1..$p"
}

# wait_for NAME LOGFILE CMD...: poll CMD (which must be quiet) for up to 60s.
wait_for() {
  local name=$1 log=$2 deadline=$((SECONDS + 60))
  shift 2
  until "$@"; do
    if ((SECONDS >= deadline)); then
      echo "$SERVICES_LOG_PREFIX: $name did not accept connections within 60s; last log lines:" >&2
      tail -n 30 "$log" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
}

# Below Linux's ephemeral range (32768-60999): a port in it can be taken at any moment as the
# local end of some outgoing connection, and the server then fails to bind.
PGPORT=$(free_port "${ONEID_TEST_PG_PORT:-25432}")
REDISPORT=$(free_port "${ONEID_TEST_REDIS_PORT:-26379}")

PG_DIR=$(mktemp -d -t oneid-pg.XXXXXX)
if ((EUID == 0)); then
  id -u postgres >/dev/null 2>&1 || useradd --system --user-group --no-create-home \
    --home-dir /nonexistent --shell /usr/sbin/nologin postgres
  chown postgres: "$PG_DIR"
fi
# Bootstrap superuser is `oneid` itself; trust auth means the password in the
# URL is accepted but not checked. Durability is pointless for throwaway data.
as_pg "$PGBIN/initdb" -D "$PG_DIR/data" -U oneid --auth=trust -E UTF8 --locale=C.UTF-8 \
  --no-sync >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
cat >>"$PG_DIR/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$PG_DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
EOF
as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t 60 start >/dev/null ||
  { tail -n 30 "$PG_DIR/postgres.log" >&2; die "PostgreSQL failed to start on port $PGPORT"; }
wait_for PostgreSQL "$PG_DIR/postgres.log" "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT"

# Redis runs as our child (not daemonized) so $! is its pid for the trap.
REDIS_DIR=$(mktemp -d -t oneid-redis.XXXXXX)
redis-server --port "$REDISPORT" --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$REDIS_DIR" >"$REDIS_DIR/redis.log" 2>&1 &
REDIS_PID=$!
redis_ready() {
  kill -0 "$REDIS_PID" 2>/dev/null || die "redis-server exited; see below
$(tail -n 30 "$REDIS_DIR/redis.log")"
  if command -v redis-cli >/dev/null; then
    [[ "$(redis-cli -h 127.0.0.1 -p "$REDISPORT" ping 2>/dev/null)" == PONG ]]
  else
    port_in_use "$REDISPORT"
  fi
}
wait_for Redis "$REDIS_DIR/redis.log" redis_ready
echo "$SERVICES_LOG_PREFIX: PostgreSQL on 127.0.0.1:$PGPORT, Redis on 127.0.0.1:$REDISPORT"

