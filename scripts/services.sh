#!/usr/bin/env bash
# Real services for the tests and the demo, on loopback only, on private ports and data dirs.
#
#   bash scripts/services.sh start  [name...]   start (idempotent) and wait until ready
#   bash scripts/services.sh stop   [--wipe] [name...]   TERM, then KILL; --wipe also deletes data
#   bash scripts/services.sh status [name...]   exit 0 when all named services run, 3 otherwise
#   bash scripts/services.sh env                print `export` lines:  eval "$(bash scripts/services.sh env)"
#   bash scripts/services.sh env --json         the same variables as one JSON object (for programs)
#   bash scripts/services.sh ports              VAR=port, one line per port variable (test-all.sh shifts them)
#   bash scripts/services.sh packages           the Debian packages the services need (install-deps.sh)
#
# Names: mariadb influxdb prometheus sshd rest s3 (default: all of them).
#
# Everything lives under ${BACKUP_SLA_SERVICES_DIR:-/tmp/backup-sla-services}, one subdir per
# service (config, data, <name>.log, <name>.pid). Daemons are started directly as background
# processes in their own session (never through systemd/service) and keep running after this
# script exits; `stop` ends them. Default ports, each overridable by the variable shown:
#
#   mariadb     BSLA_MYSQL_PORT=13306  (+ unix socket mariadb/mysqld.sock, binary log on)
#   influxdb    BSLA_INFLUX_PORT=18086 (HTTP)  BSLA_INFLUX_RPC_PORT=18088 (backup/restore RPC)
#   prometheus  BSLA_PROM_PORT=19090   (admin API enabled, scrapes itself)
#   sshd        BSLA_SSH_PORT=12222    (root by key only, internal-sftp)
#   rest        BSLA_REST_PORT=18000   (rclone serve restic, no auth)
#   s3          BSLA_S3_PORT=19570     (s3rver from npm, HTTPS with a self-signed certificate)
#
# This file is the shared machinery (locking, launch, wait, stop, status, env); each service is
# one file in scripts/services.d/, NN-<name>.sh (NN: start order; stop runs in reverse), whose
# header documents the service (accounts, how restic reaches a repository on it). A service file
# sets, for its <name>:
#
#   SVC_COMM[<name>]    the process name (/proc/PID/comm) it runs as
#   SVC_PACKAGES[<name>]  the Debian packages it needs (scripts/install-deps.sh installs them)
#   SVC_PORTS[<name>]   its TCP port(s), space-separated, the first one its main port
#   SVC_ENV+=(...)      its BSLA_* coordinates for `env`
#   SVC_PORT_VARS[BSLA_<X>_PORT]=<port>   each variable that sets one of its ports (`ports`)
#
# and defines <name>_prepare (dirs, config, keys), <name>_launch (`launch <name> CMD...`),
# <name>_probe (succeeds once it answers) and, optionally, <name>_post (once ready, e.g. accounts)
# and <name>_wipe (what `stop --wipe <name>` removes outside its dir). docs/adding-a-kind.md.
#
# A cold start (first start, empty dir) takes ≈ 1 s on an idle machine, 5-8 s under load (mostly
# mariadb-install-db, which is fsync-bound); an idempotent start of running services ≈ 0.4 s.
set -euo pipefail

SCRIPT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)/$(basename -- "${BASH_SOURCE[0]}")
SCRIPTS_DIR=$(dirname -- "$SCRIPT")

SERVICES_DIR=${BACKUP_SLA_SERVICES_DIR:-/tmp/backup-sla-services}
START_TIMEOUT=${BSLA_SERVICES_TIMEOUT:-30}
STOP_TIMEOUT=15
HOST=127.0.0.1

# Filled by the service files (see the header).
ALL_SERVICES=()
declare -A SVC_COMM=() SVC_PORTS=() SVC_PORT_VARS=() SVC_PACKAGES=()
declare -A SVC_ENV=([BSLA_SERVICES_DIR]=$SERVICES_DIR)

log() { printf 'services: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# ---------------------------------------------------------------------------------------------
# Generic process handling: a pid file per service, verified against /proc/PID/comm so that a
# stale pid file (or a recycled pid) never counts as running.

svc_dir() { printf '%s/%s' "$SERVICES_DIR" "$1"; }
svc_pidfile() { printf '%s/%s/%s.pid' "$SERVICES_DIR" "$1" "$1"; }
svc_logfile() { printf '%s/%s/%s.log' "$SERVICES_DIR" "$1" "$1"; }

# The process name (/proc/PID/comm) each service runs as, and its port(s).
svc_comm() { echo "${SVC_COMM[$1]}"; }
svc_ports() { echo "${SVC_PORTS[$1]}"; }

# Prints the pid of the running service, or fails (and removes a stale pid file).
svc_pid() {
  local name=$1 pidfile pid comm
  pidfile=$(svc_pidfile "$name")
  [[ -s "$pidfile" ]] || return 1
  pid=$(tr -dc '0-9' <"$pidfile")
  if [[ -n "$pid" ]] && comm=$(cat "/proc/$pid/comm" 2>/dev/null) && [[ "$comm" == "$(svc_comm "$name")" ]]; then
    # A zombie is not running.
    if [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]]; then
      echo "$pid"
      return 0
    fi
  fi
  rm -f "$pidfile"
  return 1
}

port_in_use() { [[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]]; }

port_owner() { ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'users:(.*)' | head -n1 || true; }

# A service of this dir whose pid file was lost (still listening, its command line names this
# dir) is adopted again instead of being reported as a foreign process on the port.
adopt_orphan() {
  local name=$1 port pid
  port=$(svc_ports "$name"); port=${port%% *}
  pid=$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2 || true)
  [[ -n "$pid" && "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$(svc_comm "$name")" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$(svc_dir "$name")/" || return 1
  echo "$pid" >"$(svc_pidfile "$name")"
  svc_record_ports "$name"
  echo "$pid"
}

# The ports a running service was started with, so that a changed BSLA_*_PORT is noticed.
svc_record_ports() { svc_ports "$1" >"$(svc_dir "$1")/ports"; }
svc_recorded_ports() { cat "$(svc_dir "$1")/ports" 2>/dev/null || true; }

# Launches "$@" detached (own session, stdin from /dev/null, output to the log) and records its
# pid. The log of the previous run is kept as <name>.log.1.
launch() {
  local name=$1; shift
  local logfile pidfile
  logfile=$(svc_logfile "$name")
  pidfile=$(svc_pidfile "$name")
  [[ -f "$logfile" ]] && mv -f "$logfile" "$logfile.1"
  printf '=== %s: %s\n' "$(date -u +%FT%TZ)" "$*" >"$logfile"
  # 9>&-: the daemon must not inherit the lock on $SERVICES_DIR/.lock.
  setsid "$@" </dev/null >>"$logfile" 2>&1 9>&- &
  local pid=$!
  echo "$pid" >"$pidfile"
  svc_record_ports "$name"
  # Until the child has exec'd the daemon it is still `setsid` (or bash): wait_ready would take
  # that for "the process exited" on a loaded machine. Give the exec up to 5 s.
  local i comm
  for ((i = 0; i < 50; i++)); do
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || break
    [[ "$comm" == "$(svc_comm "$name")" ]] && break
    sleep 0.1
  done
}

fail_start() {
  local name=$1 why=$2
  log "$name did not come up: $why"
  log "last lines of $(svc_logfile "$name"):"
  tail -n 25 "$(svc_logfile "$name")" 2>/dev/null | sed 's/^/    /' >&2 || true
  exit 1
}

# Waits until `<name>_probe` succeeds, failing early if the process dies.
wait_ready() {
  local name=$1 deadline
  deadline=$((SECONDS + START_TIMEOUT))
  while true; do
    svc_pid "$name" >/dev/null || fail_start "$name" "the process exited"
    "${name}_probe" && return 0
    ((SECONDS < deadline)) || fail_start "$name" "not ready after ${START_TIMEOUT}s"
    sleep 0.2
  done
}

http_code() { curl -s -o /dev/null -m 2 -w '%{http_code}' "$@" 2>/dev/null || true; }

random_secret() { head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32; }

# ---------------------------------------------------------------------------------------------
# The services: one file each, in start order.

for svc_file in "$SCRIPTS_DIR"/services.d/[0-9][0-9]-*.sh; do
  svc_name=${svc_file##*/[0-9][0-9]-}
  ALL_SERVICES+=("${svc_name%.sh}")
  # shellcheck source=/dev/null
  source "$svc_file"
done
unset svc_file svc_name
[[ ${#ALL_SERVICES[@]} -gt 0 ]] || die "no service files in $SCRIPTS_DIR/services.d"

# ---------------------------------------------------------------------------------------------
# Commands

check_ports_free() {
  local name=$1 port
  for port in $(svc_ports "$name"); do
    if port_in_use "$port"; then
      die "cannot start $name: port $port on this machine is already taken by $(port_owner "$port"); stop it or choose another port (see the header of $SCRIPT)"
    fi
  done
}

cmd_start() {
  local names=("$@") name pid t0=$SECONDS
  mkdir -p "$SERVICES_DIR"
  touch "$SERVICES_DIR/.backup-sla-services"
  local started=()
  # Launch everything first, then wait: the services come up in parallel.
  for name in "${names[@]}"; do
    if pid=$(svc_pid "$name") || pid=$(adopt_orphan "$name"); then
      local recorded; recorded=$(svc_recorded_ports "$name")
      if [[ -n "$recorded" && "$recorded" != "$(svc_ports "$name")" ]]; then
        die "$name already runs from $SERVICES_DIR on port(s) $recorded, not $(svc_ports "$name"): stop it first to change ports"
      fi
      log "$name already running (pid $pid)"
      continue
    fi
    check_ports_free "$name"
    "${name}_prepare"
    "${name}_launch"
    started+=("$name")
  done
  for name in "${names[@]}"; do
    wait_ready "$name"
    if declare -F "${name}_post" >/dev/null; then "${name}_post"; fi
  done
  for name in "${started[@]}"; do
    log "$name started (pid $(svc_pid "$name"), port $(svc_ports "$name"))"
  done
  log "ready in $((SECONDS - t0))s: ${names[*]} (dir $SERVICES_DIR)"
}

stop_one() {
  local name=$1 pid i
  if ! pid=$(svc_pid "$name") && ! pid=$(adopt_orphan "$name"); then
    log "$name not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" == Z ]] && break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null && [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]]; then
    log "$name (pid $pid) ignored TERM for ${STOP_TIMEOUT}s: KILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$(svc_pidfile "$name")"
  log "$name stopped"
}

cmd_stop() {
  local wipe=$1; shift
  local names=("$@") i
  # Stop in reverse order of start.
  for ((i = ${#names[@]} - 1; i >= 0; i--)); do stop_one "${names[i]}"; done
  if [[ "$wipe" == 1 ]]; then
    if [[ ! -e "$SERVICES_DIR/.backup-sla-services" ]]; then
      [[ -e "$SERVICES_DIR" ]] && log "not wiping $SERVICES_DIR: it has no .backup-sla-services marker"
      return 0
    fi
    if [[ ${#names[@]} -eq ${#ALL_SERVICES[@]} ]]; then
      rm -rf -- "$SERVICES_DIR"
      log "wiped $SERVICES_DIR"
    else
      for name in "${names[@]}"; do
        rm -rf -- "$(svc_dir "$name")"
        if declare -F "${name}_wipe" >/dev/null; then "${name}_wipe"; fi
        log "wiped $(svc_dir "$name")"
      done
    fi
  fi
}

cmd_status() {
  local name pid rc=0
  for name in "$@"; do
    if pid=$(svc_pid "$name") || pid=$(adopt_orphan "$name"); then
      if "${name}_probe"; then
        printf '%-11s running  pid %-8s port %s\n' "$name" "$pid" "$(svc_ports "$name")"
      else
        printf '%-11s starting pid %-8s port %s (not answering yet)\n' "$name" "$pid" "$(svc_ports "$name")"
        rc=3
      fi
    else
      printf '%-11s stopped\n' "$name"
      rc=3
    fi
  done
  return $rc
}

# A value as a JSON string: backslash, quote and control characters escaped.
json_string() {
  local s=$1 out='' c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case "$c" in
      '"') out+='\"' ;;
      '\') out+='\\' ;;
      [[:cntrl:]]) out+=$(printf '\\u%04x' "'$c") ;;
      *) out+=$c ;;
    esac
  done
  printf '"%s"' "$out"
}

# The BSLA_* coordinates of every service (all of them, whichever are named), sorted by name:
# as `export` lines (single-quoted values in which a ' becomes '\'', for `eval`) or, with
# --json, as one JSON object (what programs read: backend/src/test/servicesEnv.ts).
cmd_env() {
  local json=$1 var value q="'\\''" sep=''
  [[ "$json" == 1 ]] && printf '{'
  for var in $(printf '%s\n' "${!SVC_ENV[@]}" | sort); do
    value=${SVC_ENV[$var]}
    if [[ "$json" == 1 ]]; then
      printf '%s\n  "%s": %s' "$sep" "$var" "$(json_string "$value")"
      sep=,
    else
      printf "export %s='%s'\n" "$var" "${value//\'/$q}"
    fi
  done
  [[ "$json" == 1 ]] && printf '\n}\n'
  return 0
}

# Every port variable with its value now, VAR=port: a second set of services (another test
# shard) shifts them all without knowing the services.
cmd_ports() {
  local var
  for var in $(printf '%s\n' "${!SVC_PORT_VARS[@]}" | sort); do
    printf '%s=%s\n' "$var" "${SVC_PORT_VARS[$var]}"
  done
}

cmd_packages() {
  printf '%s\n' ${SVC_PACKAGES[@]} | sort -u
}

usage() {
  sed -n '2,12p' "$SCRIPT" >&2
  exit 2
}

main() {
  [[ $# -ge 1 ]] || usage
  local cmd=$1; shift
  local wipe=0 json=0 names=() arg
  for arg in "$@"; do
    case "$arg" in
      --wipe) [[ "$cmd" == stop ]] || usage; wipe=1 ;;
      --json) [[ "$cmd" == env ]] || usage; json=1 ;;
      *)
        [[ -n "$arg" && -n "${SVC_COMM[$arg]:-}" ]] || { log "unknown service '$arg' (known: ${ALL_SERVICES[*]})"; exit 2; }
        names+=("$arg")
        ;;
    esac
  done
  [[ ${#names[@]} -gt 0 ]] || names=("${ALL_SERVICES[@]}")
  [[ "$SERVICES_DIR" != *[[:space:]\'\"\\]* ]] || die "BACKUP_SLA_SERVICES_DIR must not contain spaces or quotes (restic splits sftp.command on them)"
  [[ "$SERVICES_DIR" == /* ]] || die "BACKUP_SLA_SERVICES_DIR must be an absolute path"

  case "$cmd" in
    env) cmd_env "$json" ;;
    ports) cmd_ports ;;
    packages) cmd_packages ;;
    status) cmd_status "${names[@]}" ;;
    start | stop)
      if [[ "$cmd" == stop && ! -d "$SERVICES_DIR" ]]; then
        log "nothing to stop: $SERVICES_DIR does not exist"
        return 0
      fi
      # One start/stop at a time per services dir (two test runs may start them together).
      mkdir -p "$SERVICES_DIR"
      exec 9>"$SERVICES_DIR/.lock"
      flock -w $((START_TIMEOUT * 3)) 9 || die "another services.sh holds $SERVICES_DIR/.lock"
      if [[ "$cmd" == start ]]; then cmd_start "${names[@]}"; else cmd_stop "$wipe" "${names[@]}"; fi
      ;;
    *) usage ;;
  esac
}

main "$@"
