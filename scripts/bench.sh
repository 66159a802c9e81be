#!/usr/bin/env bash
# npm run bench: every benchmark in bench/ against the real services on loopback, then one
# combined markdown table with the machine at the top (bench/results/README-table.md).
#
#   npm run bench                          all of them (≈ 15 min on 2 cores)
#   BENCH_ONLY="plugin api-status" npm run bench    a subset, in that order
#
# Each benchmark prints its own table and records its result (bench/results/<name>.json and a
# line of bench/results/latest.jsonl, emptied here first); the whole output also goes to
# bench/results/last-run.log. Goals not met are reported, not failures: the exit status is
# non-zero only when a benchmark crashed. Knobs per benchmark (BENCH_1M_ROWS, BENCH_BIG_GB, …)
# are listed at the top of each bench/<name>.ts.
set -uo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

START_MS=$(date +%s%3N)
LOAD_START=$(cut -d' ' -f1 /proc/loadavg)
read -r -a BENCHES <<<"${BENCH_ONLY:-plugin api-status api-peers memory-1gb mysql-1m mysql-30-days mysql-pitr-30-days mysql-pitr-lag mysql-pitr-restore influx-versions influx-backup unchanged-tree}"
PER_BENCH_TIMEOUT=${BENCH_TIMEOUT:-1800}
RESULTS=bench/results
LOG=$RESULTS/last-run.log
mkdir -p "$RESULTS"
: >"$RESULTS/latest.jsonl"
: >"$LOG"

say() { printf 'bench: %s\n' "$*" | tee -a "$LOG" >&2; }

say "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), load $LOAD_START"

# Real services on loopback (idempotent), and their BSLA_* variables.
bash scripts/services.sh start mariadb influxdb 2>&1 | tee -a "$LOG" >&2 || { say "services did not start"; exit 1; }
eval "$(bash scripts/services.sh env)"

# The CLI-based benchmarks run backend/dist: build it from the current sources.
if ! npm run build -w backend >>"$LOG" 2>&1; then
  say "warning: npm run build -w backend failed (see $LOG); measuring backend/dist as it is"
fi

# One node process per benchmark (no npx wrapper), so that the timeout reaches it.
export TS_NODE_PROJECT=$ROOT/bench/tsconfig.json
statuses=()
for b in "${BENCHES[@]}"; do
  if [[ ! -f bench/$b.ts ]]; then
    say "$b: bench/$b.ts does not exist, not run"
    statuses+=("$b:missing")
    continue
  fi
  say "$b: running (bound ${PER_BENCH_TIMEOUT}s)"
  timeout --kill-after=30 "$PER_BENCH_TIMEOUT" node -r ts-node/register "bench/$b.ts" 2>&1 | tee -a "$LOG"
  rc=${PIPESTATUS[0]}
  [[ $rc -eq 0 ]] || say "$b: exited $rc"
  statuses+=("$b:$rc")
done

node -r ts-node/register bench/report.ts --start "$START_MS" --load "$LOAD_START" "${statuses[@]}"
rc=$?
# Formatted as the repository's prettier would have it, so that `npm run lint:fix` leaves it alone.
npx prettier --write "$RESULTS"/*.json "$RESULTS/README-table.md" >/dev/null 2>&1 || true
exit $rc
