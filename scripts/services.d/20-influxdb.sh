# shellcheck shell=bash
# InfluxDB 1.x, sourced by scripts/services.sh (its header names the hooks a service file defines).
#
#   BSLA_INFLUX_PORT=18086 (HTTP, no auth)  BSLA_INFLUX_RPC_PORT=18088 (backup/restore RPC)

INFLUX_PORT=${BSLA_INFLUX_PORT:-18086}
SVC_PORT_VARS[BSLA_INFLUX_PORT]=$INFLUX_PORT
INFLUX_RPC_PORT=${BSLA_INFLUX_RPC_PORT:-18088}
SVC_PORT_VARS[BSLA_INFLUX_RPC_PORT]=$INFLUX_RPC_PORT

SVC_COMM[influxdb]=influxd
SVC_PACKAGES[influxdb]="influxdb influxdb-client"
SVC_PORTS[influxdb]="$INFLUX_PORT $INFLUX_RPC_PORT"
SVC_ENV+=(
  [BSLA_INFLUX_URL]="http://$HOST:$INFLUX_PORT"
  [BSLA_INFLUX_RPC]="$HOST:$INFLUX_RPC_PORT"
)

influxdb_prepare() {
  local dir; dir=$(svc_dir influxdb)
  mkdir -p "$dir/meta" "$dir/data" "$dir/wal"
  cat >"$dir/influxdb.conf" <<CONF
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
CONF
}

influxdb_launch() {
  local dir; dir=$(svc_dir influxdb)
  launch influxdb /usr/bin/influxd run -config "$dir/influxdb.conf"
}

influxdb_probe() {
  [[ "$(http_code "http://$HOST:$INFLUX_PORT/ping")" == 204 ]] && port_in_use "$INFLUX_RPC_PORT"
}
