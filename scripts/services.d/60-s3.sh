# shellcheck shell=bash
# s3rver, the far side of s3: repositories, over TLS; sourced by scripts/services.sh (its header
# names the hooks a service file defines).
#
#   BSLA_S3_PORT=19570 (s3rver from npm, HTTPS with a self-signed certificate)
#
# s3rver (npm, devDependency) with bucket `backup-sla`, over TLS only: restic 0.14's
# streaming-signature uploads are stored corrupt by s3rver over plain HTTP. The certificate (CN
# and IP SAN 127.0.0.1, self-signed, made once) is also the CA restic needs:
#
#   AWS_ACCESS_KEY_ID=$(cat $BSLA_S3_ACCESS_KEY_FILE) AWS_SECRET_ACCESS_KEY=$(cat $BSLA_S3_SECRET_KEY_FILE) \
#     restic --cacert $BSLA_S3_CA -r s3:https://127.0.0.1:19570/backup-sla/NAME init|backup|…
#
# ($BSLA_S3_URL is s3:https://127.0.0.1:19570/backup-sla ; append /NAME for a repository; the
# objects land under $DIR/s3/data/backup-sla/NAME. s3rver checks signatures: its one key pair is
# S3RVER / S3RVER, in $DIR/secrets/s3-access-key and s3-secret-key.)

S3_PORT=${BSLA_S3_PORT:-19570}
SVC_PORT_VARS[BSLA_S3_PORT]=$S3_PORT
S3_BUCKET=backup-sla
S3_CERT=$SERVICES_DIR/s3/cert.pem
S3_KEY=$SERVICES_DIR/s3/key.pem
S3_ACCESS_KEY_FILE=$SERVICES_DIR/secrets/s3-access-key
S3_SECRET_KEY_FILE=$SERVICES_DIR/secrets/s3-secret-key
S3RVER=$SCRIPTS_DIR/../node_modules/.bin/s3rver

SVC_COMM[s3]=node
SVC_PACKAGES[s3]="openssl"
SVC_PORTS[s3]=$S3_PORT
SVC_ENV+=(
  [BSLA_S3_URL]="s3:https://$HOST:$S3_PORT/$S3_BUCKET"
  [BSLA_S3_CA]=$S3_CERT
  [BSLA_S3_ACCESS_KEY_FILE]=$S3_ACCESS_KEY_FILE
  [BSLA_S3_SECRET_KEY_FILE]=$S3_SECRET_KEY_FILE
  [BSLA_S3_DIR]=$SERVICES_DIR/s3/data/$S3_BUCKET
)

s3_prepare() {
  local dir; dir=$(svc_dir s3)
  [[ -x "$S3RVER" ]] || die "s3rver is not installed ($S3RVER): run npm install (it is a devDependency)"
  mkdir -p "$dir/data" "$SERVICES_DIR/secrets"
  chmod 700 "$SERVICES_DIR/secrets"
  if [[ ! -s "$S3_CERT" || ! -s "$S3_KEY" ]]; then
    (umask 077; openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=$HOST" \
      -addext "subjectAltName=IP:$HOST,DNS:localhost" -keyout "$S3_KEY" -out "$S3_CERT" >"$dir/openssl.log" 2>&1) ||
      { cat "$dir/openssl.log" >&2; die "could not make the s3 certificate"; }
  fi
  # s3rver's only key pair (it checks request signatures against it).
  (umask 077; printf 'S3RVER\n' >"$S3_ACCESS_KEY_FILE"; printf 'S3RVER\n' >"$S3_SECRET_KEY_FILE")
}

s3_launch() {
  local dir; dir=$(svc_dir s3)
  launch s3 "$S3RVER" -d "$dir/data" -a "$HOST" -p "$S3_PORT" --silent \
    --key "$S3_KEY" --cert "$S3_CERT" --configure-bucket "$S3_BUCKET"
}

# Any HTTPS answer with the certificate trusted means the server is up.
s3_probe() {
  local code; code=$(http_code --cacert "$S3_CERT" "https://$HOST:$S3_PORT/")
  [[ -n "$code" && "$code" != 000 ]]
}
