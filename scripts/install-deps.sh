#!/usr/bin/env bash
# Installs the Debian packages that the tests and the demo need (real services, restic, rclone,
# Chromium for the browser tests). Idempotent: when every package is already installed it does
# not touch apt at all and returns in well under a second.
#
# Usage: bash scripts/install-deps.sh        (as root, or with sudo available)
#
# Packages never start their daemons here: /usr/sbin/policy-rc.d (exit 101) keeps them from doing
# so. If it is missing we put one in place for the duration of the install and remove it again.
# The services themselves are started by scripts/services.sh, on loopback, on private ports.
set -euo pipefail

# The real services' packages come from their files (scripts/services.d/, SVC_PACKAGES).
mapfile -t SERVICE_PACKAGES < <(bash "$(dirname "$0")/services.sh" packages)
PACKAGES=(
  restic
  "${SERVICE_PACKAGES[@]}"
  ansible-core
  python3 python3-flask python3-flask-sqlalchemy uwsgi-core uwsgi-plugin-python3
  curl ca-certificates git procps iproute2 util-linux
  chromium
  # the install test: systemd-analyze verify on the rendered unit (no running systemd needed),
  # python3-apt for Ansible's apt module, zip/unzip for the plugin archive
  systemd python3-apt zip unzip openssl
)

log() { printf 'install-deps: %s\n' "$*" >&2; }

missing_packages() {
  local pkg status
  for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == installed ]] || printf '%s\n' "$pkg"
  done
}

as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    log "need root (or sudo) to run: $*"
    exit 1
  fi
}

apt_lists_present() {
  compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null
}

main() {
  local missing
  mapfile -t missing < <(missing_packages)
  if [[ ${#missing[@]} -eq 0 ]]; then
    log "all ${#PACKAGES[@]} packages already installed"
    return 0
  fi
  log "missing: ${missing[*]}"

  local created_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
    created_policy=1
  fi
  # shellcheck disable=SC2064
  trap "[[ $created_policy -eq 1 ]] && as_root rm -f /usr/sbin/policy-rc.d || true" EXIT

  export DEBIAN_FRONTEND=noninteractive
  local apt_opts=(-y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  if ! apt_lists_present; then
    log "apt lists empty: apt-get update"
    as_root apt-get update -q
  fi
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${missing[@]}"; then
    log "install failed; refreshing the package lists and retrying once"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${missing[@]}"
  fi

  mapfile -t missing < <(missing_packages)
  if [[ ${#missing[@]} -ne 0 ]]; then
    log "still missing after install: ${missing[*]}"
    exit 1
  fi
  log "done"
}

main "$@"
