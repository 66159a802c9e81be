# shellcheck shell=bash
# sshd, the far side of sftp: repositories; sourced by scripts/services.sh (its header names the
# hooks a service file defines).
#
#   BSLA_SSH_PORT=12222 (root by key only, internal-sftp)
#
# restic 0.14 supports `-o sftp.command=...`; the command must include `-s sftp`. The host part
# of the repository string is then ignored, only the path counts:
#
#   restic -o sftp.command="ssh -F /dev/null -p 12222 -i $DIR/sshd/client_ed25519 \
#       -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes \
#       -o UserKnownHostsFile=$DIR/sshd/known_hosts root@127.0.0.1 -s sftp" \
#     -r sftp:root@127.0.0.1:$DIR/sshd/remote/NAME init|backup|snapshots --json
#
# ($BSLA_SFTP_COMMAND from `env` is exactly that command string; the path is absolute.)
# Without the trailing `-s sftp` restic does not fail: ssh opens a shell and restic hangs
# forever. Without sftp.command restic runs plain `ssh root@127.0.0.1 -s sftp` (port 22, the
# user's own keys). An sftp command costs ≈ 0.5-1 s more than the same one on rest (ssh).

SSH_PORT=${BSLA_SSH_PORT:-12222}
SVC_PORT_VARS[BSLA_SSH_PORT]=$SSH_PORT
SSH_KEY=$SERVICES_DIR/sshd/client_ed25519
SSH_KNOWN_HOSTS=$SERVICES_DIR/sshd/known_hosts
SFTP_REPO_BASE=$SERVICES_DIR/sshd/remote
SFTP_COMMAND="ssh -F /dev/null -p $SSH_PORT -i $SSH_KEY -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$SSH_KNOWN_HOSTS root@$HOST -s sftp"

SVC_COMM[sshd]=sshd
SVC_PACKAGES[sshd]="openssh-server openssh-client"
SVC_PORTS[sshd]=$SSH_PORT
SVC_ENV+=(
  [BSLA_SSH_HOST]=$HOST
  [BSLA_SSH_PORT]=$SSH_PORT
  [BSLA_SSH_USER]=root
  [BSLA_SSH_KEY]=$SSH_KEY
  [BSLA_SSH_KNOWN_HOSTS]=$SSH_KNOWN_HOSTS
  [BSLA_SFTP_REPO_BASE]=$SFTP_REPO_BASE
  [BSLA_SFTP_COMMAND]=$SFTP_COMMAND
)

sshd_prepare() {
  local dir; dir=$(svc_dir sshd)
  mkdir -p "$dir" "$SFTP_REPO_BASE"
  chmod 700 "$dir"
  [[ -s "$dir/ssh_host_ed25519_key" ]] ||
    ssh-keygen -q -t ed25519 -N '' -C backup-sla-sshd-host -f "$dir/ssh_host_ed25519_key"
  [[ -s "$SSH_KEY" ]] ||
    ssh-keygen -q -t ed25519 -N '' -C backup-sla-client -f "$SSH_KEY"
  cp "$SSH_KEY.pub" "$dir/authorized_keys"
  chmod 600 "$dir/authorized_keys"
  printf '[%s]:%s %s\n' "$HOST" "$SSH_PORT" "$(cut -d' ' -f1,2 "$dir/ssh_host_ed25519_key.pub")" >"$SSH_KNOWN_HOSTS"
  cat >"$dir/sshd_config" <<CONF
# Written by scripts/services.sh: loopback only, root by key only, sftp in-process.
Port $SSH_PORT
ListenAddress $HOST
HostKey $dir/ssh_host_ed25519_key
PidFile $(svc_pidfile sshd)
AuthorizedKeysFile $dir/authorized_keys
# The keys live under /tmp (world-writable), which StrictModes would refuse.
StrictModes no
AllowUsers root
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
X11Forwarding no
AllowAgentForwarding no
AllowTcpForwarding no
PrintMotd no
UseDNS no
Subsystem sftp internal-sftp
CONF
  # sshd insists on its privilege-separation directory.
  mkdir -p /run/sshd
  chmod 755 /run/sshd
  /usr/sbin/sshd -t -f "$dir/sshd_config" || die "sshd rejects $dir/sshd_config"
}

sshd_launch() {
  local dir; dir=$(svc_dir sshd)
  launch sshd /usr/sbin/sshd -D -e -f "$dir/sshd_config"
}

sshd_probe() {
  port_in_use "$SSH_PORT" || return 1
  ssh -F /dev/null -p "$SSH_PORT" -i "$SSH_KEY" -o IdentitiesOnly=yes -o BatchMode=yes \
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$SSH_KNOWN_HOSTS" -o ConnectTimeout=3 \
    "root@$HOST" true </dev/null >/dev/null 2>&1
}
