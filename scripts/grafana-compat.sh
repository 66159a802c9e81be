#!/usr/bin/env bash
# Checks the plugin's use of @grafana/data, @grafana/ui and @grafana/runtime against the packages
# of a Grafana version with @grafana/levitate (from the npm registry; about a minute per version).
#   bash scripts/grafana-compat.sh            the version plugin.json declares (grafanaDependency)
#   bash scripts/grafana-compat.sh 10.4.0 11.0.0
# Not part of npm test (it downloads each version's packages); src/grafanaDependency.test.ts
# holds what it found and checks the declared version against it.
set -euo pipefail
cd "$(dirname "$0")/.."
versions=("$@")
if [[ ${#versions[@]} -eq 0 ]]; then
  versions=("$(node -p "require('./src/plugin.json').dependencies.grafanaDependency.replace(/^>=\s*/, '')")")
fi
status=0
for v in "${versions[@]}"; do
  echo "== Grafana $v"
  npx -y @grafana/levitate@latest is-compatible --path src/module.tsx \
    --target "@grafana/data@$v,@grafana/ui@$v,@grafana/runtime@$v" | grep -v '^\s*$' | tail -n 12 || status=1
done
exit $status
