#!/usr/bin/env bash
# Real services for the tests and the demo, on loopback only, on private ports and data dirs.
#
#   bash scripts/services.sh start  [name...]   start (idempotent) and wait until ready
#   bash scripts/services.sh stop   [--wipe] [name...]   TERM, then KILL; --wipe also deletes data
#   bash scripts/services.sh status [name...]   exit 0 when all named services run, 3 otherwise
#   bash scripts/services.sh env                print `export` lines:  eval "$(bash scripts/services.sh env)"
#
# Names: mariadb influxdb prometheus sshd rest s3 (default: all of them).
#
# Everything lives under ${BACKUP_SLA_SERVICES_DIR:-/tmp/backup-sla-services}, one subdir per
# service (config, data, <name>.log, <name>.pid). Daemons are started directly as background
# processes in their own session (never through systemd/service) and keep running after this
# script exits; `stop` ends them. Default ports, each overridable by the variable shown:
#
#   mariadb     BSLA_MYSQL_PORT=13306  (+ unix socket mariadb/mysqld.sock); binary log on
#               (binlog.NNNNNN in its data dir, ROW format, server id 1, kept 7 days): the
#               `mysql` target's point-in-time recovery archives it; with the binary log on,
#               only SUPER may create triggers and functions (restores do) unless
#               log_bin_trust_function_creators is on (docs/mysql-privileges.md)
#   influxdb    BSLA_INFLUX_PORT=18086 (HTTP)  BSLA_INFLUX_RPC_PORT=18088 (backup/restore RPC)
#   prometheus  BSLA_PROM_PORT=19090   (admin API enabled, scrapes itself)
#   sshd        BSLA_SSH_PORT=12222    (root by key only, internal-sftp)
#   rest        BSLA_REST_PORT=18000   (rclone serve restic, no auth)
#   s3          BSLA_S3_PORT=19570     (s3rver from npm, HTTPS with a self-signed certificate)
#
# MariaDB accounts: root only through the unix socket (unix_socket auth, from the root unix
# user, no password); `backup`@`127.0.0.1` and `backup`@`localhost` with ALL PRIVILEGES ON *.*
# and the password in $DIR/secrets/mysql-backup.pass (random, generated once, mode 600).
# $DIR/secrets/mysql-backup.cnf is a matching client defaults file. That account is for test
# fixtures (creating test data); the `mysql` target's own tests run as `backup_sla`@`127.0.0.1`,
# created with exactly the SQL of docs/mysql-privileges.md (least privilege, for database `agama`;
# tests apply the same grants to their own databases), password in
# $DIR/secrets/mysql-backup-sla.pass.
#
# restic repositories on the remote services (verified with restic 0.14.0 and rclone 1.60.1):
#
#   sftp — restic 0.14 supports `-o sftp.command=...`; the command must include `-s sftp`.
#   The host part of the repository string is then ignored, only the path counts:
#
#     restic -o sftp.command="ssh -F /dev/null -p 12222 -i $DIR/sshd/client_ed25519 \
#         -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes \
#         -o UserKnownHostsFile=$DIR/sshd/known_hosts root@127.0.0.1 -s sftp" \
#       -r sftp:root@127.0.0.1:$DIR/sshd/remote/NAME init|backup|snapshots --json
#
#   ($BSLA_SFTP_COMMAND from `env` is exactly that command string; the path is absolute.)
#   Without the trailing `-s sftp` restic does not fail: ssh opens a shell and restic hangs
#   forever. Without sftp.command restic runs plain `ssh root@127.0.0.1 -s sftp` (port 22, the
#   user's own keys). An sftp command costs ≈ 0.5-1 s more than the same one on rest (ssh).
#
#   rest — one server serves any number of repositories, each in its own sub path, created
#   by `init` (the trailing slash is optional):
#
#     restic -r rest:http://127.0.0.1:18000/NAME/ init|backup|snapshots --json
#
#   ($BSLA_REST_URL is rest:http://127.0.0.1:18000/ ; the data lands in $DIR/rest/repos/NAME;
#   nested names such as a/b/c work too.)
#
#   s3 — s3rver (npm, devDependency) with bucket `backup-sla`, over TLS only: restic 0.14's
#   streaming-signature uploads are stored corrupt by s3rver over plain HTTP. The certificate
#   (CN and IP SAN 127.0.0.1, self-signed, made once) is also the CA restic needs:
#
#     AWS_ACCESS_KEY_ID=$(cat $BSLA_S3_ACCESS_KEY_FILE) AWS_SECRET_ACCESS_KEY=$(cat $BSLA_S3_SECRET_KEY_FILE) \
#       restic --cacert $BSLA_S3_CA -r s3:https://127.0.0.1:19570/backup-sla/NAME init|backup|…
#
#   ($BSLA_S3_URL is s3:https://127.0.0.1:19570/backup-sla ; append /NAME for a repository; the
#   objects land under $DIR/s3/data/backup-sla/NAME. s3rver checks signatures: its one key pair
#   is S3RVER / S3RVER, in $DIR/secrets/s3-access-key and s3-secret-key.)
#
# A cold start (first start, empty dir) takes ≈ 1 s on an idle machine, 5-8 s under load (mostly
# mariadb-install-db, which is fsync-bound); an idempotent start of running services ≈ 0.4 s.
set -euo pipefail

SCRIPT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)/$(basename -- "${BASH_SOURCE[0]}")

ALL_SERVICES=(mariadb influxdb prometheus sshd rest s3)

SERVICES_DIR=${BACKUP_SLA_SERVICES_DIR:-/tmp/backup-sla-services}
MYSQL_PORT=${BSLA_MYSQL_PORT:-13306}
INFLUX_PORT=${BSLA_INFLUX_PORT:-18086}
INFLUX_RPC_PORT=${BSLA_INFLUX_RPC_PORT:-18088}
PROM_PORT=${BSLA_PROM_PORT:-19090}
SSH_PORT=${BSLA_SSH_PORT:-12222}
REST_PORT=${BSLA_REST_PORT:-18000}
S3_PORT=${BSLA_S3_PORT:-19570}
START_TIMEOUT=${BSLA_SERVICES_TIMEOUT:-30}
STOP_TIMEOUT=15
HOST=127.0.0.1

MYSQL_PASS_FILE=$SERVICES_DIR/secrets/mysql-backup.pass
MYSQL_CNF_FILE=$SERVICES_DIR/secrets/mysql-backup.cnf
MYSQL_SOCKET=$SERVICES_DIR/mariadb/mysqld.sock
MYSQL_LEAST_USER=backup_sla
MYSQL_LEAST_PASS_FILE=$SERVICES_DIR/secrets/mysql-backup-sla.pass
PRIVILEGES_DOC=$(dirname -- "$SCRIPT")/../docs/mysql-privileges.md
SSH_KEY=$SERVICES_DIR/sshd/client_ed25519
SSH_KNOWN_HOSTS=$SERVICES_DIR/sshd/known_hosts
SFTP_REPO_BASE=$SERVICES_DIR/sshd/remote
SFTP_COMMAND="ssh -F /dev/null -p $SSH_PORT -i $SSH_KEY -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$SSH_KNOWN_HOSTS root@$HOST -s sftp"
REST_REPO_DIR=$SERVICES_DIR/rest/repos
PROM_DATA_DIR=$SERVICES_DIR/prometheus/data
S3_BUCKET=backup-sla
S3_CERT=$SERVICES_DIR/s3/cert.pem
S3_KEY=$SERVICES_DIR/s3/key.pem
S3_ACCESS_KEY_FILE=$SERVICES_DIR/secrets/s3-access-key
S3_SECRET_KEY_FILE=$SERVICES_DIR/secrets/s3-secret-key
S3RVER=$(dirname -- "$SCRIPT")/../node_modules/.bin/s3rver

log() { printf 'services: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# ---------------------------------------------------------------------------------------------
# Generic process handling: a pid file per service, verified against /proc/PID/comm so that a
# stale pid file (or a recycled pid) never counts as running.

svc_dir() { printf '%s/%s' "$SERVICES_DIR" "$1"; }
svc_pidfile() { printf '%s/%s/%s.pid' "$SERVICES_DIR" "$1" "$1"; }
svc_logfile() { printf '%s/%s/%s.log' "$SERVICES_DIR" "$1" "$1"; }

# The process name (/proc/PID/comm) each service runs as.
svc_comm() {
  case "$1" in
    mariadb) echo mariadbd ;;
    influxdb) echo influxd ;;
    prometheus) echo prometheus ;;
    sshd) echo sshd ;;
    rest) echo rclone ;;
    s3) echo node ;;
  esac
}

svc_ports() {
  case "$1" in
    mariadb) echo "$MYSQL_PORT" ;;
    influxdb) echo "$INFLUX_PORT $INFLUX_RPC_PORT" ;;
    prometheus) echo "$PROM_PORT" ;;
    sshd) echo "$SSH_PORT" ;;
    rest) echo "$REST_PORT" ;;
    s3) echo "$S3_PORT" ;;
  esac
}

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
# MariaDB

mariadb_prepare() {
  local dir; dir=$(svc_dir mariadb)
  mkdir -p "$dir" "$SERVICES_DIR/secrets"
  chmod 700 "$SERVICES_DIR/secrets"
  if [[ ! -s "$MYSQL_PASS_FILE" ]]; then
    (umask 077; random_secret >"$MYSQL_PASS_FILE")
  fi
  chmod 600 "$MYSQL_PASS_FILE"
  (umask 077; printf '[client]\nuser=backup\npassword=%s\nhost=%s\nport=%s\n' \
    "$(cat "$MYSQL_PASS_FILE")" "$HOST" "$MYSQL_PORT" >"$MYSQL_CNF_FILE")
  if [[ ! -d "$dir/data/mysql" ]]; then
    rm -rf "$dir/data"
    mariadb-install-db --no-defaults --user=root --datadir="$dir/data" \
      --auth-root-authentication-method=normal --skip-test-db >"$dir/install-db.log" 2>&1 ||
      { tail -n 25 "$dir/install-db.log" >&2; die "mariadb-install-db failed (log: $dir/install-db.log)"; }
  fi
}

# mariadbd writes its own pid file apart from ours: rewriting ours, it left it empty for a moment
# and a probe then took the service for dead (a start failed now and then; restarts made it show).
mariadb_launch() {
  local dir; dir=$(svc_dir mariadb)
  launch mariadb /usr/sbin/mariadbd --no-defaults --user=root --datadir="$dir/data" \
    --socket="$MYSQL_SOCKET" --port="$MYSQL_PORT" --bind-address="$HOST" \
    --pid-file="$dir/mariadbd.pid" --skip-name-resolve \
    --log-bin="$dir/data/binlog" --binlog-format=ROW --server-id=1 --binlog-expire-logs-seconds=604800 \
    --log-bin-trust-function-creators=1
}

mariadb_root() { mariadb --no-defaults --user=root --socket="$MYSQL_SOCKET" --batch --skip-column-names "$@"; }

mariadb_probe() { mariadb_root -e 'select 1' >/dev/null 2>&1; }

# Accounts: root only through the socket; backup@127.0.0.1 / backup@localhost with a password.
mariadb_post() {
  local pass user host; pass=$(cat "$MYSQL_PASS_FILE")
  # mariadb-install-db also creates root@<hostname> without a password (and maybe anonymous
  # users): drop every account but root@localhost that could log in without one.
  while IFS=$'\t' read -r user host; do
    mariadb_root -e "DROP USER '$user'@'$host'"
  done < <(mariadb_root -e "SELECT user, host FROM mysql.user WHERE (user = 'root' AND host <> 'localhost') OR user = ''")
  mariadb_root <<SQL
ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket;
CREATE USER IF NOT EXISTS 'backup'@'127.0.0.1' IDENTIFIED BY '$pass';
CREATE USER IF NOT EXISTS 'backup'@'localhost' IDENTIFIED BY '$pass';
ALTER USER 'backup'@'127.0.0.1' IDENTIFIED BY '$pass';
ALTER USER 'backup'@'localhost' IDENTIFIED BY '$pass';
GRANT ALL PRIVILEGES ON *.* TO 'backup'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO 'backup'@'localhost';
FLUSH PRIVILEGES;
SQL
  mariadb --defaults-file="$MYSQL_CNF_FILE" --protocol=tcp -e 'select 1' >/dev/null ||
    fail_start mariadb "the backup user cannot log in over TCP"
  mariadb_least_privilege
}

# The least-privilege account, from the SQL block of docs/mysql-privileges.md exactly as written
# there (for database `agama`), with its password from the secrets dir.
mariadb_least_privilege() {
  local pass
  if [[ ! -s "$MYSQL_LEAST_PASS_FILE" ]]; then
    (umask 077; random_secret >"$MYSQL_LEAST_PASS_FILE")
  fi
  pass=$(cat "$MYSQL_LEAST_PASS_FILE")
  [[ -f "$PRIVILEGES_DOC" ]] || fail_start mariadb "$PRIVILEGES_DOC is missing"
  sed -n '/<!-- mysql-privileges:begin -->/,/<!-- mysql-privileges:end -->/p' "$PRIVILEGES_DOC" |
    grep -v -e '^<!--' -e '^```' | sed "s/CHANGE-ME/$pass/" | mariadb_root ||
    fail_start mariadb "the SQL of $PRIVILEGES_DOC failed"
  mariadb_root -e "ALTER USER '$MYSQL_LEAST_USER'@'127.0.0.1' IDENTIFIED BY '$pass'"
}

# ---------------------------------------------------------------------------------------------
# InfluxDB 1.x

influxdb_prepare() {
  local dir; dir=$(svc_dir influxdb)
  mkdir -p "$dir/meta" "$dir/data" "$dir/wal"
  cat >"$dir/influxdb.conf" <<EOF
# Written by scripts/services.sh: loopback only, private ports and dirs.
reporting-disabled = true
bind-address = "$HOST:$INFLUX_RPC_PORT"

[meta]
  dir = "$dir/meta"

[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[http]
  enabled = true
  bind-address = "$HOST:$INFLUX_PORT"
  auth-enabled = false
  log-enabled = false

[ifql]
  enabled = false

[[graphite]]
  enabled = false

[[collectd]]
  enabled = false

[[opentsdb]]
  enabled = false

[[udp]]
  enabled = false

[continuous_queries]
  enabled = true
EOF
}

influxdb_launch() {
  local dir; dir=$(svc_dir influxdb)
  launch influxdb /usr/bin/influxd run -config "$dir/influxdb.conf"
}

influxdb_probe() {
  [[ "$(http_code "http://$HOST:$INFLUX_PORT/ping")" == 204 ]] && port_in_use "$INFLUX_RPC_PORT"
}

# ---------------------------------------------------------------------------------------------
# Prometheus

prometheus_prepare() {
  local dir; dir=$(svc_dir prometheus)
  mkdir -p "$PROM_DATA_DIR"
  cat >"$dir/prometheus.yml" <<EOF
# Written by scripts/services.sh.
global:
  scrape_interval: 5s
  evaluation_interval: 5s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['$HOST:$PROM_PORT']
EOF
}

prometheus_launch() {
  local dir; dir=$(svc_dir prometheus)
  launch prometheus /usr/bin/prometheus \
    --config.file="$dir/prometheus.yml" \
    --storage.tsdb.path="$PROM_DATA_DIR" \
    --web.listen-address="$HOST:$PROM_PORT" \
    --web.enable-admin-api
}

prometheus_probe() { [[ "$(http_code "http://$HOST:$PROM_PORT/-/ready")" == 200 ]]; }

# ---------------------------------------------------------------------------------------------
# sshd (the far side of sftp: repositories)

sshd_prepare() {
  local dir; dir=$(svc_dir sshd)
  mkdir -p "$dir" "$SFTP_REPO_BASE"
  chmod 700 "$dir"
  [[ -s "$dir/ssh_host_ed25519_key" ]] ||
    ssh-keygen -q -t ed25519 -N '' -C backup-sla-sshd-host -f "$dir/ssh_host_ed25519_key"
  [[ -s "$SSH_KEY" ]] ||
    ssh-keygen -q -t ed25519 -N '' -C backup-sla-client -f "$SSH_KEY"
  cp "$SSH_KEY.pub" "$dir/authorized_keys"
  chmod 600 "$dir/authorized_keys"
  printf '[%s]:%s %s\n' "$HOST" "$SSH_PORT" "$(cut -d' ' -f1,2 "$dir/ssh_host_ed25519_key.pub")" >"$SSH_KNOWN_HOSTS"
  cat >"$dir/sshd_config" <<EOF
# Written by scripts/services.sh: loopback only, root by key only, sftp in-process.
Port $SSH_PORT
ListenAddress $HOST
HostKey $dir/ssh_host_ed25519_key
PidFile $(svc_pidfile sshd)
AuthorizedKeysFile $dir/authorized_keys
# The keys live under /tmp (world-writable), which StrictModes would refuse.
StrictModes no
AllowUsers root
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
X11Forwarding no
AllowAgentForwarding no
AllowTcpForwarding no
PrintMotd no
UseDNS no
Subsystem sftp internal-sftp
EOF
  # sshd insists on its privilege-separation directory.
  mkdir -p /run/sshd
  chmod 755 /run/sshd
  /usr/sbin/sshd -t -f "$dir/sshd_config" || die "sshd rejects $dir/sshd_config"
}

sshd_launch() {
  local dir; dir=$(svc_dir sshd)
  launch sshd /usr/sbin/sshd -D -e -f "$dir/sshd_config"
}

sshd_probe() {
  port_in_use "$SSH_PORT" || return 1
  ssh -F /dev/null -p "$SSH_PORT" -i "$SSH_KEY" -o IdentitiesOnly=yes -o BatchMode=yes \
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$SSH_KNOWN_HOSTS" -o ConnectTimeout=3 \
    "root@$HOST" true </dev/null >/dev/null 2>&1
}

# ---------------------------------------------------------------------------------------------
# rclone REST server (the far side of rest: repositories)

rest_prepare() {
  local dir; dir=$(svc_dir rest)
  mkdir -p "$REST_REPO_DIR" "$dir/cache"
  : >"$dir/rclone.conf"
}

rest_launch() {
  local dir; dir=$(svc_dir rest)
  launch rest /usr/bin/rclone serve restic "$REST_REPO_DIR" --addr "$HOST:$REST_PORT" \
    --config "$dir/rclone.conf" --cache-dir "$dir/cache"
}

# Any HTTP answer means the server is up (rclone answers GET / with 400).
rest_probe() {
  local code; code=$(http_code "http://$HOST:$REST_PORT/")
  [[ -n "$code" && "$code" != 000 ]]
}

# ---------------------------------------------------------------------------------------------
# s3rver (the far side of s3: repositories), over TLS

s3_prepare() {
  local dir; dir=$(svc_dir s3)
  [[ -x "$S3RVER" ]] || die "s3rver is not installed ($S3RVER): run npm install (it is a devDependency)"
  mkdir -p "$dir/data" "$SERVICES_DIR/secrets"
  chmod 700 "$SERVICES_DIR/secrets"
  if [[ ! -s "$S3_CERT" || ! -s "$S3_KEY" ]]; then
    (umask 077; openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=$HOST" \
      -addext "subjectAltName=IP:$HOST,DNS:localhost" -keyout "$S3_KEY" -out "$S3_CERT" >"$dir/openssl.log" 2>&1) ||
      { cat "$dir/openssl.log" >&2; die "could not make the s3 certificate"; }
  fi
  # s3rver's only key pair (it checks request signatures against it).
  (umask 077; printf 'S3RVER\n' >"$S3_ACCESS_KEY_FILE"; printf 'S3RVER\n' >"$S3_SECRET_KEY_FILE")
}

s3_launch() {
  local dir; dir=$(svc_dir s3)
  launch s3 "$S3RVER" -d "$dir/data" -a "$HOST" -p "$S3_PORT" --silent \
    --key "$S3_KEY" --cert "$S3_CERT" --configure-bucket "$S3_BUCKET"
}

# Any HTTPS answer with the certificate trusted means the server is up.
s3_probe() {
  local code; code=$(http_code --cacert "$S3_CERT" "https://$HOST:$S3_PORT/")
  [[ -n "$code" && "$code" != 000 ]]
}

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
        [[ "$name" == mariadb ]] && rm -f "$MYSQL_PASS_FILE" "$MYSQL_CNF_FILE" "$MYSQL_LEAST_PASS_FILE"
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

cmd_env() {
  local var
  local -A values=(
    [BSLA_SERVICES_DIR]=$SERVICES_DIR
    [BSLA_MYSQL_HOST]=$HOST
    [BSLA_MYSQL_PORT]=$MYSQL_PORT
    [BSLA_MYSQL_SOCKET]=$MYSQL_SOCKET
    [BSLA_MYSQL_USER]=backup
    [BSLA_MYSQL_PASSWORD_FILE]=$MYSQL_PASS_FILE
    [BSLA_MYSQL_DEFAULTS_FILE]=$MYSQL_CNF_FILE
    [BSLA_MYSQL_LEAST_USER]=$MYSQL_LEAST_USER
    [BSLA_MYSQL_LEAST_PASSWORD_FILE]=$MYSQL_LEAST_PASS_FILE
    [BSLA_INFLUX_URL]="http://$HOST:$INFLUX_PORT"
    [BSLA_INFLUX_RPC]="$HOST:$INFLUX_RPC_PORT"
    [BSLA_PROM_URL]="http://$HOST:$PROM_PORT"
    [BSLA_PROM_DATA_DIR]=$PROM_DATA_DIR
    [BSLA_SSH_HOST]=$HOST
    [BSLA_SSH_PORT]=$SSH_PORT
    [BSLA_SSH_USER]=root
    [BSLA_SSH_KEY]=$SSH_KEY
    [BSLA_SSH_KNOWN_HOSTS]=$SSH_KNOWN_HOSTS
    [BSLA_SFTP_REPO_BASE]=$SFTP_REPO_BASE
    [BSLA_SFTP_COMMAND]=$SFTP_COMMAND
    [BSLA_REST_URL]="rest:http://$HOST:$REST_PORT/"
    [BSLA_REST_DIR]=$REST_REPO_DIR
    [BSLA_S3_URL]="s3:https://$HOST:$S3_PORT/$S3_BUCKET"
    [BSLA_S3_CA]=$S3_CERT
    [BSLA_S3_ACCESS_KEY_FILE]=$S3_ACCESS_KEY_FILE
    [BSLA_S3_SECRET_KEY_FILE]=$S3_SECRET_KEY_FILE
    [BSLA_S3_DIR]=$SERVICES_DIR/s3/data/$S3_BUCKET
  )
  # Single-quoted values (a ' inside becomes '\''): both `eval` and globalSetup.ts read them.
  local value q="'\\''"
  for var in $(printf '%s\n' "${!values[@]}" | sort); do
    value=${values[$var]}
    printf "export %s='%s'\n" "$var" "${value//\'/$q}"
  done
}

usage() {
  sed -n '2,9p' "$SCRIPT" >&2
  exit 2
}

main() {
  [[ $# -ge 1 ]] || usage
  local cmd=$1; shift
  local wipe=0 names=() arg
  for arg in "$@"; do
    case "$arg" in
      --wipe) [[ "$cmd" == stop ]] || usage; wipe=1 ;;
      mariadb | influxdb | prometheus | sshd | rest | s3) names+=("$arg") ;;
      *) log "unknown service '$arg' (known: ${ALL_SERVICES[*]})"; exit 2 ;;
    esac
  done
  [[ ${#names[@]} -gt 0 ]] || names=("${ALL_SERVICES[@]}")
  [[ "$SERVICES_DIR" != *[[:space:]\'\"\\]* ]] || die "BACKUP_SLA_SERVICES_DIR must not contain spaces or quotes (restic splits sftp.command on them)"
  [[ "$SERVICES_DIR" == /* ]] || die "BACKUP_SLA_SERVICES_DIR must be an absolute path"

  case "$cmd" in
    env) cmd_env ;;
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
