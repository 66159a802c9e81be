#!/usr/bin/env bash
# The whole test suite (README's second command, and what .ci/run runs): installs what is
# missing, starts the real services on loopback, runs the plugin's Jest tests, the service's
# tests against real MariaDB / InfluxDB / Prometheus / sshd / rclone / restic, and the browser
# tests of the built plugin in Debian's Chromium. Ends with one line: "tests: N passed, N failed".
#
# The service's tests are the long part and mostly wait on servers and subprocesses, so they run
# as two Jest shards side by side, each against its own set of services (own directory, own
# ports): no test of one shard can disturb the servers of the other. The plugin's tests run
# beside the first shard, the browser tests beside the second.
#   BSLA_TEST_SHARDS=1   one shard (and nothing side by side), e.g. on a one-core machine
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${BACKUP_SLA_TEST_OUT:-$ROOT/.test-results}
SHARDS=${BSLA_TEST_SHARDS:-2}
mkdir -p "$OUT"
rm -f "$OUT"/*.json "$OUT"/*.log

if [ "$(id -u)" = 0 ]; then
  bash scripts/install-deps.sh
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build -w backend >/dev/null
npm run build >/dev/null

# The second shard's services: same scripts, another directory, every port shifted by 1000
# (services.sh names its port variables: a new service needs no line here).
shard_env() {
  if [ "$1" = 2 ]; then
    local var port
    while IFS='=' read -r var port; do
      export "$var=$((port + 1000))"
    done < <(bash scripts/services.sh ports)
    export BACKUP_SLA_SERVICES_DIR=${BACKUP_SLA_SERVICES_DIR:-/tmp/backup-sla-services}-shard2
  fi
}

for shard in $(seq 1 "$SHARDS"); do
  (shard_env "$shard" && bash scripts/services.sh start)
done
export BSLA_SERVICES_STARTED=1

# One Jest run; its output to a log (printed when it ends), its results to OUT/<name>.json.
jest_run() {
  local name=$1
  shift
  if "$@" --json --outputFile="$OUT/$name.json" >"$OUT/$name.log" 2>&1; then
    echo "== $name: done"
  else
    echo "== $name: FAILED (log below)"
    cat "$OUT/$name.log"
    return 1
  fi
}

backend_shard() {
  local shard=$1
  shard_env "$shard"
  (cd backend && jest_run "backend-$shard" npx jest --runInBand --shard="$shard/$SHARDS")
}

status=0
start=$(date +%s)
if [ "$SHARDS" -ge 2 ]; then
  # Shard 1 with the plugin's tests, shard 2 with the browser tests: four Jest runs, two at a time.
  # Each run goes on after a failure before it, so that one report names every failure.
  (
    s=0
    jest_run frontend npx jest --maxWorkers=1 || s=1
    backend_shard 1 || s=1
    exit $s
  ) &
  one=$!
  (
    s=0
    backend_shard 2 || s=1
    jest_run e2e npx jest -c e2e/jest.config.js --runInBand || s=1
    exit $s
  ) &
  two=$!
  wait "$one" || status=1
  wait "$two" || status=1
else
  jest_run frontend npx jest --maxWorkers=2 || status=1
  backend_shard 1 || status=1
  jest_run e2e npx jest -c e2e/jest.config.js --runInBand || status=1
fi
echo "== all suites in $(($(date +%s) - start)) s"

node -e '
  const fs = require("fs");
  const dir = process.argv[1];
  let passed = 0, failed = 0, skipped = 0, suitesFailed = 0;
  const names = ["frontend", ...Array.from({ length: Number(process.argv[2]) }, (_, i) => "backend-" + (i + 1)), "e2e"];
  for (const f of names) {
    const file = dir + "/" + f + ".json";
    if (!fs.existsSync(file)) { console.log(f + ": no results (runner crashed or did not run)"); failed++; continue; }
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests;
    suitesFailed += r.numFailedTestSuites;
    const slow = r.testResults.map((t) => [t.endTime - t.startTime, t.name.replace(/.*\/(src|e2e)\//, "$1/")]).sort((a, b) => b[0] - a[0]).slice(0, 3);
    console.log(f + ": " + r.numPassedTests + " passed, " + r.numFailedTests + " failed" + (r.numFailedTestSuites ? " (" + r.numFailedTestSuites + " suites failed)" : "") + "; slowest: " + slow.map(([ms, n]) => n + " " + Math.round(ms / 1000) + " s").join(", "));
  }
  if (suitesFailed && !failed) failed = suitesFailed;
  console.log("tests: " + passed + " passed, " + failed + " failed, " + skipped + " skipped");
' "$OUT" "$SHARDS"
exit $status
