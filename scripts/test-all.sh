#!/usr/bin/env bash
# The whole test suite (README's second command, and what .ci/run runs): installs what is
# missing, starts the real services on loopback, runs the plugin's Jest tests, the service's
# tests against real MariaDB / InfluxDB / Prometheus / sshd / rclone / restic, and the browser
# tests of the built plugin in Debian's Chromium. Ends with one line: "tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${BACKUP_SLA_TEST_OUT:-$ROOT/.test-results}
mkdir -p "$OUT"
rm -f "$OUT"/*.json

if [ "$(id -u)" = 0 ]; then
  bash scripts/install-deps.sh
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build -w backend >/dev/null
npm run build >/dev/null
bash scripts/services.sh start
export BSLA_SERVICES_STARTED=1

status=0
echo "== plugin (Jest + Testing Library)"
npx jest --maxWorkers=2 --json --outputFile="$OUT/frontend.json" || status=1
echo "== service (real servers)"
(cd backend && npx jest --runInBand --json --outputFile="$OUT/backend.json") || status=1
echo "== browser (built plugin in Chromium)"
npx jest -c e2e/jest.config.js --runInBand --json --outputFile="$OUT/e2e.json" || status=1

node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0, suitesFailed = 0;
  for (const f of ["frontend", "backend", "e2e"]) {
    const file = process.argv[1] + "/" + f + ".json";
    if (!fs.existsSync(file)) { console.log(f + ": no results (runner crashed)"); failed++; continue; }
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests;
    suitesFailed += r.numFailedTestSuites;
    console.log(f + ": " + r.numPassedTests + " passed, " + r.numFailedTests + " failed" + (r.numFailedTestSuites ? " (" + r.numFailedTestSuites + " suites failed to run)" : ""));
  }
  if (suitesFailed && !failed) failed = suitesFailed;
  console.log("tests: " + passed + " passed, " + failed + " failed, " + skipped + " skipped");
' "$OUT"
exit $status
