# shellcheck shell=bash
# MariaDB, sourced by scripts/services.sh (its header names the hooks a service file defines).
#
#   BSLA_MYSQL_PORT=13306 (+ unix socket mariadb/mysqld.sock); binary log on (binlog.NNNNNN in its
#   data dir, ROW format, server id 1, kept 7 days): the `mysql` target's point-in-time recovery
#   archives it; with the binary log on, only SUPER may create triggers and functions (restores
#   do) unless log_bin_trust_function_creators is on (docs/mysql-privileges.md).
#
# Accounts: root only through the unix socket (unix_socket auth, from the root unix user, no
# password); `backup`@`127.0.0.1` and `backup`@`localhost` with ALL PRIVILEGES ON *.* and the
# password in $DIR/secrets/mysql-backup.pass (random, generated once, mode 600).
# $DIR/secrets/mysql-backup.cnf is a matching client defaults file. That account is for test
# fixtures (creating test data); the `mysql` target's own tests run as `backup_sla`@`127.0.0.1`,
# created with exactly the SQL of docs/mysql-privileges.md (least privilege, for database `agama`;
# tests apply the same grants to their own databases), password in
# $DIR/secrets/mysql-backup-sla.pass.

MYSQL_PORT=${BSLA_MYSQL_PORT:-13306}
SVC_PORT_VARS[BSLA_MYSQL_PORT]=$MYSQL_PORT
MYSQL_PASS_FILE=$SERVICES_DIR/secrets/mysql-backup.pass
MYSQL_CNF_FILE=$SERVICES_DIR/secrets/mysql-backup.cnf
MYSQL_SOCKET=$SERVICES_DIR/mariadb/mysqld.sock
MYSQL_LEAST_USER=backup_sla
MYSQL_LEAST_PASS_FILE=$SERVICES_DIR/secrets/mysql-backup-sla.pass
PRIVILEGES_DOC=$SCRIPTS_DIR/../docs/mysql-privileges.md

SVC_COMM[mariadb]=mariadbd
SVC_PACKAGES[mariadb]="mariadb-server mariadb-client"
SVC_PORTS[mariadb]=$MYSQL_PORT
SVC_ENV+=(
  [BSLA_MYSQL_HOST]=$HOST
  [BSLA_MYSQL_PORT]=$MYSQL_PORT
  [BSLA_MYSQL_SOCKET]=$MYSQL_SOCKET
  [BSLA_MYSQL_USER]=backup
  [BSLA_MYSQL_PASSWORD_FILE]=$MYSQL_PASS_FILE
  [BSLA_MYSQL_DEFAULTS_FILE]=$MYSQL_CNF_FILE
  [BSLA_MYSQL_LEAST_USER]=$MYSQL_LEAST_USER
  [BSLA_MYSQL_LEAST_PASSWORD_FILE]=$MYSQL_LEAST_PASS_FILE
)

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

# `stop --wipe mariadb`: its passwords and client file live in the shared secrets dir.
mariadb_wipe() { rm -f "$MYSQL_PASS_FILE" "$MYSQL_CNF_FILE" "$MYSQL_LEAST_PASS_FILE"; }
