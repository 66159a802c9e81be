# shellcheck shell=bash
# Prometheus, sourced by scripts/services.sh (its header names the hooks a service file defines).
#
#   BSLA_PROM_PORT=19090 (admin API enabled, scrapes itself)

PROM_PORT=${BSLA_PROM_PORT:-19090}
SVC_PORT_VARS[BSLA_PROM_PORT]=$PROM_PORT
PROM_DATA_DIR=$SERVICES_DIR/prometheus/data

SVC_COMM[prometheus]=prometheus
SVC_PACKAGES[prometheus]="prometheus"
SVC_PORTS[prometheus]=$PROM_PORT
SVC_ENV+=(
  [BSLA_PROM_URL]="http://$HOST:$PROM_PORT"
  [BSLA_PROM_DATA_DIR]=$PROM_DATA_DIR
)

prometheus_prepare() {
  local dir; dir=$(svc_dir prometheus)
  mkdir -p "$PROM_DATA_DIR"
  cat >"$dir/prometheus.yml" <<CONF
# Written by scripts/services.sh.
global:
  scrape_interval: 5s
  evaluation_interval: 5s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['$HOST:$PROM_PORT']
CONF
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
