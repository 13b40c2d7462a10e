#!/usr/bin/env bash
# A three-node MariaDB Galera cluster on loopback, for tests: Debian's mariadb-server, galera-4 and rsync
# (installed with apt-get when missing), each node a mariadbd of its own running as the `mysql` user (rsync
# state transfer fails on permissions as root), with its own data directory, socket, pid file and SQL, group,
# state-transfer (SST) and incremental-transfer (IST) ports. It leaves a server already on 3306 alone.
#
#   scripts/galera.sh start    start the nodes not running (from nothing when none is), wait until all are Synced
#   scripts/galera.sh status   one line per node; exit 0 only when all three are Synced in a cluster of three
#   scripts/galera.sh stop     stop every node and remove the cluster's directory (its data is throwaway)
#   scripts/galera.sh kill N   SIGKILL node N's mariadbd (N = 1, 2 or 3), as a crash would
#
# Each command is safe to repeat. Settings (environment):
#   CLIENTELE_GALERA_DIR   where the nodes live (default: $TMPDIR or /tmp, then clientele-galera)
#   CLIENTELE_GALERA_PORT  node 1's SQL port (default 3311); node N's SQL port is that + N - 1, its group port
#                          that + 1300 + N - 1 (4611...), SST + 1310 (4621...), IST + 1320 (4631...)
# Clients connect as root without a password on 127.0.0.1 at the SQL ports.
set -euo pipefail

DIR="${CLIENTELE_GALERA_DIR:-${TMPDIR:-/tmp}/clientele-galera}"
BASE="${CLIENTELE_GALERA_PORT:-3311}"
NODES=3
START_TIMEOUT="${CLIENTELE_GALERA_START_TIMEOUT:-120}"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi

sql_port() { echo $((BASE + $1 - 1)); }
group_port() { echo $((BASE + 1300 + $1 - 1)); }
sst_port() { echo $((BASE + 1310 + $1 - 1)); }
ist_port() { echo $((BASE + 1320 + $1 - 1)); }
node_dir() { echo "$DIR/node$1"; }

provider() {
  for f in /usr/lib/galera/libgalera_smm.so /usr/lib/libgalera_smm.so /usr/lib64/galera-4/libgalera_smm.so; do
    if [ -e "$f" ]; then
      echo "$f"
      return
    fi
  done
  return 1
}

install_packages() {
  local missing=()
  command -v mariadbd >/dev/null 2>&1 || missing+=(mariadb-server)
  provider >/dev/null || missing+=(galera-4)
  command -v rsync >/dev/null 2>&1 || missing+=(rsync)
  command -v mariadb >/dev/null 2>&1 || missing+=(mariadb-client)
  if [ ${#missing[@]} -eq 0 ]; then return; fi
  echo "installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # No recommends, and no service started: the packages' own server is not wanted, only the programs.
  $SUDO env RUNLEVEL=1 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The pid of node N's mariadbd, if it is running.
node_pid() {
  local pidfile pid
  pidfile="$(node_dir "$1")/mariadbd.pid"
  [ -r "$pidfile" ] || return 1
  pid="$(cat "$pidfile" 2>/dev/null)" || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || $SUDO kill -0 "$pid" 2>/dev/null || return 1
  # A stale pid file may name a process that is no longer ours.
  grep -aq "$(node_dir "$1")/node.cnf" "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

# One value of SHOW STATUS on node N ('' when the node does not answer).
status_of() {
  mariadb --protocol=tcp -h 127.0.0.1 -P "$(sql_port "$1")" -u root --connect-timeout=2 -N -B \
    -e "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null | cut -f2 || true
}

synced() { [ "$(status_of "$1" wsrep_local_state_comment)" = Synced ]; }

write_config() {
  local n="$1" d members=""
  d="$(node_dir "$n")"
  for m in $(seq 1 $NODES); do members="${members:+$members,}127.0.0.1:$(group_port "$m")"; done
  $SUDO mkdir -p "$d/data"
  $SUDO tee "$d/node.cnf" >/dev/null <<EOF
[mysqld]
user = mysql
datadir = $d/data
socket = $d/mariadbd.sock
pid-file = $d/mariadbd.pid
log-error = $d/error.log
bind-address = 127.0.0.1
port = $(sql_port "$n")
skip-name-resolve
performance_schema = OFF
innodb_buffer_pool_size = 64M
innodb_log_file_size = 32M
# A commit is safe once the cluster has it; each node writes its log to disk once a second.
innodb_flush_log_at_trx_commit = 2
# What Galera requires: row events, InnoDB, interleaved auto-increment locks.
binlog_format = ROW
default_storage_engine = InnoDB
innodb_autoinc_lock_mode = 2
# Every statement first waits until the node has applied what the cluster committed before it, so a till
# reads its own writes whichever node it reaches next (a read, a write, and the start of a transaction).
wsrep_sync_wait = 15
wsrep_on = ON
wsrep_provider = $(provider)
wsrep_cluster_name = clientele_test
wsrep_cluster_address = gcomm://$members
wsrep_node_name = node$n
wsrep_node_address = 127.0.0.1:$(group_port "$n")
wsrep_provider_options = "gmcast.listen_addr=tcp://127.0.0.1:$(group_port "$n");ist.recv_addr=127.0.0.1:$(ist_port "$n");gcache.size=32M"
wsrep_sst_method = rsync
wsrep_sst_receive_address = 127.0.0.1:$(sst_port "$n")
EOF
  $SUDO chown -R mysql:mysql "$d"
}

launch() {
  local n="$1" d
  d="$(node_dir "$n")"
  shift
  # setsid: the node outlives the shell (and the test run) that started it, until `stop`.
  $SUDO setsid mariadbd --defaults-file="$d/node.cnf" "$@" >>"$DIR/launch.log" 2>&1 </dev/null 9>&- &
}

# Waits until node N is Synced, or fails showing the end of its log.
wait_synced() {
  local n="$1" deadline=$((SECONDS + START_TIMEOUT))
  until synced "$n"; do
    # A node that gave up says so in its log; no point waiting out the deadline.
    if [ $SECONDS -ge $deadline ] || $SUDO grep -q '\[ERROR\] Aborting' "$(node_dir "$n")/error.log" 2>/dev/null; then
      echo "node $n did not reach Synced (it stopped, or ${START_TIMEOUT}s passed); the end of its log:" >&2
      $SUDO tail -n 30 "$(node_dir "$n")/error.log" >&2 || true
      return 1
    fi
    sleep 0.5
  done
}

start() {
  install_packages
  local running=() stopped=()
  for n in $(seq 1 $NODES); do
    if node_pid "$n" >/dev/null; then running+=("$n"); else stopped+=("$n"); fi
  done
  if [ ${#stopped[@]} -eq 0 ]; then
    for n in $(seq 1 $NODES); do wait_synced "$n"; done
    status
    return
  fi
  if [ ${#running[@]} -eq 0 ]; then
    # From nothing: a fresh directory, node 1 bootstraps a new cluster, the others join it by state transfer.
    $SUDO rm -rf "$DIR"
    $SUDO mkdir -p "$DIR"
    $SUDO chmod 755 "$DIR"
    for n in $(seq 1 $NODES); do write_config "$n"; done
    $SUDO mariadb-install-db --defaults-file="$(node_dir 1)/node.cnf" --user=mysql \
      --auth-root-authentication-method=normal --skip-test-db >"$DIR/install.log" 2>&1 ||
      {
        cat "$DIR/install.log" >&2
        return 1
      }
    launch 1 --wsrep-new-cluster
    wait_synced 1
    stopped=(2 3)
  fi
  # A node that was killed comes back by joining the running ones (IST, or SST when it is too far behind).
  for n in "${stopped[@]}"; do
    write_config "$n"
    launch "$n"
  done
  for n in "${stopped[@]}"; do wait_synced "$n"; done
  local deadline=$((SECONDS + START_TIMEOUT))
  until [ "$(status_of 1 wsrep_cluster_size)" = "$NODES" ]; do
    [ $SECONDS -lt $deadline ] || {
      echo "the cluster did not reach $NODES nodes" >&2
      return 1
    }
    sleep 0.5
  done
  status
}

status() {
  local ok=0
  for n in $(seq 1 $NODES); do
    local pid state size
    pid="$(node_pid "$n" || true)"
    state="$(status_of "$n" wsrep_local_state_comment)"
    size="$(status_of "$n" wsrep_cluster_size)"
    echo "node$n sql=127.0.0.1:$(sql_port "$n") group=$(group_port "$n") sst=$(sst_port "$n") ist=$(ist_port "$n")" \
      "pid=${pid:--} state=${state:-down} cluster_size=${size:--}"
    [ "$state" = Synced ] && [ "$size" = "$NODES" ] || ok=1
  done
  return $ok
}

stop() {
  local pids=()
  for n in $(seq 1 $NODES); do
    local pid
    pid="$(node_pid "$n" || true)"
    if [ -n "$pid" ]; then
      $SUDO kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 120); do
      kill -0 "$pid" 2>/dev/null || $SUDO kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    $SUDO kill -KILL "$pid" 2>/dev/null || true
  done
  $SUDO rm -rf "$DIR"
}

kill_node() {
  local n="${1:-}" pid
  [[ "$n" =~ ^[1-3]$ ]] || {
    echo "usage: $0 kill 1|2|3" >&2
    return 2
  }
  pid="$(node_pid "$n")" || {
    echo "node $n is not running" >&2
    return 1
  }
  $SUDO kill -KILL "$pid"
}

# One command at a time: two test runs starting the cluster at once must not both bootstrap it.
mkdir -p "$(dirname "$DIR")"
exec 9>"$DIR.lock"
flock 9

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  kill) kill_node "${2:-}" ;;
  *)
    echo "usage: $0 start|stop|status|kill N" >&2
    exit 2
    ;;
esac
