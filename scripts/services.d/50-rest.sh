# shellcheck shell=bash
# rclone's REST server, the far side of rest: repositories; sourced by scripts/services.sh (its
# header names the hooks a service file defines).
#
#   BSLA_REST_PORT=18000 (rclone serve restic, no auth)
#
# One server serves any number of repositories, each in its own sub path, created by `init` (the
# trailing slash is optional):
#
#   restic -r rest:http://127.0.0.1:18000/NAME/ init|backup|snapshots --json
#
# ($BSLA_REST_URL is rest:http://127.0.0.1:18000/ ; the data lands in $DIR/rest/repos/NAME;
# nested names such as a/b/c work too.)

REST_PORT=${BSLA_REST_PORT:-18000}
SVC_PORT_VARS[BSLA_REST_PORT]=$REST_PORT
REST_REPO_DIR=$SERVICES_DIR/rest/repos

SVC_COMM[rest]=rclone
SVC_PACKAGES[rest]="rclone"
SVC_PORTS[rest]=$REST_PORT
SVC_ENV+=(
  [BSLA_REST_URL]="rest:http://$HOST:$REST_PORT/"
  [BSLA_REST_DIR]=$REST_REPO_DIR
)

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
