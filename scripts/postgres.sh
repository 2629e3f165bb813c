#!/usr/bin/env bash
# A throwaway PostgreSQL server for kubesmith's store tests, on loopback only.
#
#   scripts/postgres.sh start DIR   -> initdb a cluster in DIR, start it on a free 127.0.0.1 port,
#                                      print its URL (postgresql://kubesmith@127.0.0.1:PORT/kubesmith)
#   scripts/postgres.sh stop DIR    -> stop the server started in DIR
#
# Installs Debian's `postgresql` package with apt-get when no server binaries are found (CI runs as
# root). PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user the
# package creates; as any other user it runs as that user.
set -euo pipefail

die() { echo "postgres.sh: $*" >&2; exit 1; }

find_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then echo "$d"; return 0; fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"; return 0
  fi
  return 1
}

ensure_installed() {
  if find_bindir >/dev/null; then return 0; fi
  command -v apt-get >/dev/null 2>&1 || die "no PostgreSQL server binaries and no apt-get to install them"
  [[ $(id -u) -eq 0 ]] || die "PostgreSQL is not installed; run as root (or: sudo apt-get install postgresql)"
  echo "postgres.sh: installing Debian's postgresql package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends postgresql >&2
  find_bindir >/dev/null || die "postgresql installed but initdb/pg_ctl not found"
}

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    if command -v runuser >/dev/null 2>&1; then runuser -u postgres -- "$@"; else su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; fi
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  local dir=$1
  ensure_installed
  local bin; bin=$(find_bindir)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "user 'postgres' does not exist (install the postgresql package)"
    chown postgres "$dir"
    chmod 700 "$dir"
  fi
  cd "$dir"  # the server user may not be able to read the caller's working directory
  as_owner "$bin/initdb" -D "$dir/data" -U kubesmith -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  local port attempt
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-h 127.0.0.1 -p $port -k $dir -F -c fsync=off -c full_page_writes=off" start >&2; then
      echo "$port" >"$dir/port"
      as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U kubesmith kubesmith >&2
      echo "postgresql://kubesmith@127.0.0.1:$port/kubesmith"
      return 0
    fi
    echo "postgres.sh: start on port $port failed (attempt $attempt)" >&2
  done
  cat "$dir/server.log" >&2 || true
  die "could not start PostgreSQL"
}

stop() {
  local dir=$1
  [[ -d "$dir/data" ]] || return 0
  local bin; bin=$(find_bindir) || return 0
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
}

case "${1:-}" in
  start) [[ $# -eq 2 ]] || die "usage: $0 start DIR"; start "$2" ;;
  stop) [[ $# -eq 2 ]] || die "usage: $0 stop DIR"; stop "$2" ;;
  *) die "usage: $0 start DIR | stop DIR" ;;
esac
