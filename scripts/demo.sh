#!/usr/bin/env bash
# The demo lab (README's first command: `npm run demo`): real MariaDB, InfluxDB and Prometheus on
# loopback with lab-like data, an Ansible repo, an AGAMA-like app directory, the Grafana API fake
# (Grafana itself cannot be installed here: clearly a fake), the Backup SLA service backing all
# of it up, and the Grafana app in the browser harness.
#
#   bash scripts/demo.sh [start]   bring it all up (idempotent), take first backups, print URLs
#   bash scripts/demo.sh stop      stop the demo's processes (data is kept in .demo/)
#   bash scripts/demo.sh wipe      stop and delete .demo/
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DEMO=$ROOT/.demo
UI_PORT=${DEMO_UI_PORT:-3000}
API_PORT=${DEMO_API_PORT:-8470}
GRAFANA_PORT=${DEMO_GRAFANA_PORT:-3100}
METRICS_PORT=${DEMO_METRICS_PORT:-3190}
CLI=(node "$ROOT/backend/bin/backup-sla.js" --config "$DEMO/backup-sla.yaml")

say() { printf '\033[1mdemo:\033[0m %s\n' "$*"; }

stop_pid() {
  local f=$DEMO/run/$1.pid
  [[ -f $f ]] || return 0
  local pid; pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

running() { [[ -f $DEMO/run/$1.pid ]] && kill -0 "$(cat "$DEMO/run/$1.pid")" 2>/dev/null; }

# start NAME READY_URL COMMAND...: runs a daemon in the background with its log, waits for READY_URL
start_daemon() {
  local name=$1 url=$2; shift 2
  if running "$name"; then return 0; fi
  setsid "$@" >"$DEMO/run/$name.log" 2>&1 < /dev/null &
  echo $! >"$DEMO/run/$name.pid"
  for _ in $(seq 1 150); do
    if curl -s -o /dev/null -m 1 "$url"; then return 0; fi
    if ! running "$name"; then break; fi
    sleep 0.2
  done
  say "$name did not come up; its log:"; tail -n 20 "$DEMO/run/$name.log" >&2; exit 1
}

# Secrets are 40 random characters, private to their owner (the service refuses shorter tokens and open modes).
secret() { [[ -s $1 ]] || (umask 077; head -c 60 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 40 >"$1"); chmod 600 "$1"; }

cmd_stop() {
  for p in ui metrics service grafana-fake; do stop_pid "$p"; done
  say "stopped (data kept in .demo/; the lab's databases keep running: bash scripts/services.sh stop)"
}

seed_mysql() {
  local sql="CREATE DATABASE IF NOT EXISTS agama;
CREATE TABLE IF NOT EXISTS agama.item (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, done TINYINT NOT NULL DEFAULT 0, created TIMESTAMP DEFAULT CURRENT_TIMESTAMP);"
  mariadb --no-defaults -uroot -S "$BSLA_MYSQL_SOCKET" -e "$sql"
  local n; n=$(mariadb --no-defaults -uroot -S "$BSLA_MYSQL_SOCKET" -N -e 'SELECT COUNT(*) FROM agama.item')
  if [[ $n == 0 ]]; then
    mariadb --no-defaults -uroot -S "$BSLA_MYSQL_SOCKET" -e "INSERT INTO agama.item (name, done) VALUES
      ('Patch web servers', 1), ('Rotate TLS certificates', 0), ('Review firewall rules', 1),
      ('Update Grafana dashboards', 0), ('Check DNS zone serials', 1), ('Plan capacity for Q1', 0);"
  fi
}

seed_influx() {
  curl -s -XPOST "$BSLA_INFLUX_URL/query" --data-urlencode 'q=CREATE DATABASE telegraf' >/dev/null
  local now; now=$(date +%s)
  local lines="" i
  for i in $(seq 0 59); do
    local t=$(( (now - i * 60) * 1000000000 ))
    lines+="cpu,host=lab-1 usage_user=$((RANDOM % 40)).$((RANDOM % 10)),usage_system=$((RANDOM % 10)).5 $t
mem,host=lab-1 used_percent=$((50 + RANDOM % 30)).1 $t
ping,host=lab-1,url=dns.lab average_response_ms=$((RANDOM % 20)).$((RANDOM % 100)) $t
syslog,host=lab-1,severity=info message=\"session opened for user admin\" $t
"
  done
  curl -s -XPOST "$BSLA_INFLUX_URL/write?db=telegraf&precision=ns" --data-binary "$lines" >/dev/null
}

seed_ansible() {
  local repo=$DEMO/lab/ansible
  [[ -d $repo/.git ]] && return 0
  mkdir -p "$repo" "$DEMO/lab/infra"
  cp -r "$ROOT/backend/src/test/fixtures/ansible/." "$repo/"
  mkdir -p "$repo/group_vars"
  printf 'lab_name: lab-9\nmotd_path: %s/lab/infra/motd\n' "$DEMO" >"$repo/group_vars/all.yml"
  git -C "$repo" init -q -b main
  git -C "$repo" add -A
  git -C "$repo" -c user.name='Lab Admin' -c user.email=admin@lab.test commit -q -m 'lab configuration'
  # Apply it once, so that --check reports changed=0: the "infrastructure" is in the state the code says.
  (cd "$repo" && ANSIBLE_NOCOLOR=1 ansible-playbook site.yml >/dev/null)
}

seed_agama() {
  local app=$DEMO/lab/agama
  [[ -f $app/agama.py ]] && return 0
  mkdir -p "$app"
  # The test stand-in for AGAMA's latest release: one file, agama.py (see the fixture's README).
  cp "$ROOT/backend/src/test/fixtures/agama/v0.3/agama.py" "$app/"
}

write_config() {
  local cfg=$DEMO/backup-sla.yaml
  cat >"$cfg" <<YAML
# Written by scripts/demo.sh: the SLA defaults of backup-sla.example.yaml, on the demo lab.
catalog: ./data/catalog.db
workDir: ./data/work
repositories:
  main: { url: ./repos/main, passwordFile: ./secrets/repo.pass }
  flash: { url: ./repos/flash, passwordFile: ./secrets/repo.pass }
  admin:
    url: "sftp:root@127.0.0.1:$BSLA_SFTP_REPO_BASE/demo-admin"
    passwordFile: ./secrets/repo.pass
    options: { sftp.command: "$BSLA_SFTP_COMMAND" }
targets:
  ansible:
    kind: ansible
    source: { path: ./lab/ansible }
    copies: [flash, admin]
    verify: { playbooks: [site.yml], inventory: inventory/hosts, checkMode: true }
  agama:
    kind: files
    source:
      paths: [./lab/agama]
      versionFrom: { file: ./lab/agama/agama.py, pattern: "AGAMA(?:</a>)? (v[0-9.]+)" }
    verify:
      smoke:
        wsgi: { file: agama.py, callable: app }
        env: { AGAMA_DATABASE_URI: "sqlite:///{tmp}/smoke.db" }
  mysql:
    kind: mysql
    connection: { host: 127.0.0.1, port: $BSLA_MYSQL_PORT, user: backup, passwordFile: $BSLA_MYSQL_PASSWORD_FILE, database: agama }
    pitr: true          # the binary log archived continuously: restore to any second (docs/point-in-time-recovery.md)
  prometheus:
    kind: prometheus
    connection: { url: "$BSLA_PROM_URL", dataDir: "$BSLA_PROM_DATA_DIR" }
  influxdb:
    kind: influxdb
    connection: { url: "$BSLA_INFLUX_URL", rpcAddress: "$BSLA_INFLUX_RPC", databases: [telegraf] }
  grafana:
    kind: grafana
    # The Grafana HTTP API FAKE of this repository (backend/src/grafana-fake), seeded with demo objects.
    connection: { url: "http://127.0.0.1:$GRAFANA_PORT", tokenFile: ./secrets/grafana.token }
api:
  listen: 127.0.0.1:$API_PORT
  tokens: { viewer: ./secrets/viewer.token, operator: ./secrets/operator.token, admin: ./secrets/admin.token }
YAML
}

cmd_start() {
  if [[ $(id -u) == 0 ]]; then bash scripts/install-deps.sh; fi
  if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund
  fi
  say "building the service and the plugin"
  npm run build -w backend >/dev/null
  [[ -f dist/module.js ]] || npm run build >/dev/null
  bash scripts/services.sh start
  eval "$(bash scripts/services.sh env)"

  mkdir -p "$DEMO/secrets" "$DEMO/run" "$DEMO/repos"
  for s in repo.pass viewer.token operator.token admin.token grafana.token; do secret "$DEMO/secrets/$s"; done
  say "seeding the lab: AGAMA database, Telegraf data in InfluxDB, Ansible repo, AGAMA app"
  seed_mysql; seed_influx; seed_ansible; seed_agama
  write_config
  "${CLI[@]}" check-config >/dev/null

  start_daemon grafana-fake "http://127.0.0.1:$GRAFANA_PORT/api/health" \
    node backend/dist/grafana-fake/main.js --port "$GRAFANA_PORT" --token-file "$DEMO/secrets/grafana.token" --seed demo

  if [[ ! -f $DEMO/data/catalog.db ]]; then
    say "first backups and verifications of every target (about a minute)"
    for t in ansible agama mysql prometheus influxdb grafana; do
      "${CLI[@]}" backup "$t" >/dev/null && say "  backed up $t" || say "  backup of $t FAILED (see: backup-sla status)"
    done
    for t in ansible agama mysql prometheus influxdb grafana; do
      "${CLI[@]}" verify "$t" >/dev/null && say "  verified $t" || say "  verification of $t FAILED"
    done
  fi

  start_daemon service "http://127.0.0.1:$API_PORT/metrics" node backend/bin/backup-sla.js --config "$DEMO/backup-sla.yaml" serve
  # A Prometheus scraping the service, for the app's history charts (the lab's own scrapes itself only).
  mkdir -p "$DEMO/metrics"
  printf 'global: { scrape_interval: 15s }\nscrape_configs:\n  - job_name: backup-sla\n    static_configs: [{ targets: ["127.0.0.1:%s"] }]\n' \
    "$API_PORT" >"$DEMO/metrics/prometheus.yml"
  start_daemon metrics "http://127.0.0.1:$METRICS_PORT/-/ready" /usr/bin/prometheus \
    --config.file="$DEMO/metrics/prometheus.yml" --storage.tsdb.path="$DEMO/metrics/data" \
    --web.listen-address="127.0.0.1:$METRICS_PORT"
  start_daemon ui "http://127.0.0.1:$UI_PORT/" node e2e/harness/server.mjs --port "$UI_PORT" \
    --service "http://127.0.0.1:$API_PORT" --prometheus "http://127.0.0.1:$METRICS_PORT" \
    --viewer-token-file "$DEMO/secrets/viewer.token" --operator-token-file "$DEMO/secrets/operator.token" \
    --admin-token-file "$DEMO/secrets/admin.token"

  cat <<TXT

  Backup SLA demo is up.

  Grafana app (browser harness)  http://127.0.0.1:$UI_PORT/a/labops-backupsla-app/overview?role=Admin
                                 (?role=Viewer / Editor / Admin to see what each Grafana role may do)
  Service API                    http://127.0.0.1:$API_PORT/api/status  (Bearer token: .demo/secrets/viewer.token)
  Prometheus metrics             http://127.0.0.1:$API_PORT/metrics
  Grafana API FAKE (demo only)   http://127.0.0.1:$GRAFANA_PORT  (stands in for Grafana, which is not installable here)
  CLI                            node backend/bin/backup-sla.js --config .demo/backup-sla.yaml status
  Logs                           .demo/run/*.log        Stop: npm run demo -- stop

TXT
  "${CLI[@]}" status || true
}

case ${1:-start} in
  start) cmd_start ;;
  stop) cmd_stop ;;
  wipe) cmd_stop; rm -rf "$DEMO" ;;
  *) echo "usage: $0 [start|stop|wipe]" >&2; exit 2 ;;
esac
