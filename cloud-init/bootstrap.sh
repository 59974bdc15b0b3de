#!/usr/bin/env bash
# Turns a fresh Ubuntu 24.04 / Debian 12 host into a Kubernetes node (CRI-O +
# kubeadm) that inits or joins the cluster. Cloud-init runs it at first boot,
# SSH on an existing host: it reads only node.env and the files that names.
#
#   bootstrap.sh [NODE_ENV]    (default /etc/tacker-cilium/node.env)
#
# Idempotent: on a bootstrapped node it changes nothing; running it again
# resumes a run that stopped half-way (an interrupted kubeadm is reset first).
set -euo pipefail

ENV_FILE=${1:-/etc/tacker-cilium/node.env}
PKI_DIR=/etc/kubernetes/pki
# The CAs and service-account keys all control planes share, placed before
# this script runs (no certificateKey upload).
SHARED_PKI=(ca.crt ca.key sa.key sa.pub front-proxy-ca.crt front-proxy-ca.key etcd/ca.crt etcd/ca.key)
KEYRINGS=/etc/apt/keyrings
# The kubeadm config with the boot-time values filled in, and how far it got.
STATE_DIR=/var/lib/tacker-cilium
RESOLVED_CONFIG=$STATE_DIR/kubeadm.yaml
KUBEADM_STARTED=$STATE_DIR/kubeadm-started
DONE=$STATE_DIR/done
PKI_STASH=$STATE_DIR/pki-stash
export DEBIAN_FRONTEND=noninteractive

log() { printf 'tacker-cilium: %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# retry ATTEMPTS DELAY COMMAND...: package mirrors fail transiently, and a
# fresh cloud instance may still be bringing its network up.
retry() {
  local attempts=$1 delay=$2 n=1
  shift 2
  until "$@"; do
    if ((n >= attempts)); then
      log "giving up after $n attempts: $*"
      return 1
    fi
    log "attempt $n/$attempts failed, retrying in ${delay}s: $*"
    sleep "$delay"
    n=$((n + 1))
  done
}

# The lock timeout waits out unattended-upgrades, which grabs dpkg at boot;
# the conffile options keep a re-run on an existing host from prompting.
apt_get() {
  apt-get -q -y -o DPkg::Lock::Timeout=600 \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
}

# put_file PATH MODE < CONTENT writes PATH only when its content differs.
put_file() {
  local new
  new=$(cat && echo .)
  if ! printf '%s' "${new%.}" | cmp -s - "$1"; then
    [[ -d ${1%/*} ]] || install -d -m 0755 "${1%/*}"
    printf '%s' "${new%.}" >"$1.new" && chmod "$2" "$1.new" && mv -f "$1.new" "$1"
  fi
}

((EUID == 0)) || die "must run as root"
[[ -r $ENV_FILE ]] || die "cannot read $ENV_FILE (pass the node.env path as the first argument)"
# shellcheck source=/dev/null # rendered per node by the Pulumi program
. "$ENV_FILE"
# An empty NODE_NAME or NODE_IP is found at boot (see resolve_node).
: "${ROLE:?missing in node.env}" "${NODE_NAME?missing in node.env}" "${NODE_IP?missing in node.env}"
: "${K8S_VERSION:?missing in node.env}" "${K8S_MINOR:?missing in node.env}" "${CRIO_MINOR:?missing in node.env}"
: "${K8S_REPO:?missing in node.env}" "${CRIO_REPO:?missing in node.env}"
: "${KUBEADM_CONFIG:?missing in node.env}" "${CRI_SOCKET:?missing in node.env}" "${UNTAINT:=false}"

case $ROLE in
  init | control-plane | worker) ;;
  *) die "unknown ROLE '$ROLE' in $ENV_FILE (want init, control-plane or worker)" ;;
esac

if [[ -f $DONE ]]; then
  log "$DONE exists: this host already is a node of the cluster ($(<"$DONE")), nothing to do"
  exit 0
fi
# kubeadm writes kubelet.conf early on: without this script's mark, another
# kubeadm made this node.
if [[ -f /etc/kubernetes/kubelet.conf && ! -f $KUBEADM_STARTED ]]; then
  die "/etc/kubernetes/kubelet.conf exists: this host is a Kubernetes node tacker-cilium did not make. Run 'kubeadm reset -f' (it leaves that cluster) or use another host"
fi
[[ -r $KUBEADM_CONFIG ]] || die "cannot read the kubeadm config $KUBEADM_CONFIG"
install -d -m 0700 "$STATE_DIR"

# dns_label NAME: the first label of a host name as an RFC 1123 label.
dns_label() {
  local LC_ALL=C s=${1%%.*}
  s=${s,,}
  s=${s//[^a-z0-9-]/-}
  s=${s:0:63}
  while [[ $s == -* ]]; do s=${s#-}; done
  while [[ $s == *- ]]; do s=${s%-}; done
  printf '%s' "$s"
}

# default_route_ip: the first global IPv4 address of the default route's interface.
default_route_ip() {
  [[ $(ip -4 route show default) =~ \ dev\ ([^ ]+) ]] &&
    [[ $(ip -4 -o address show dev "${BASH_REMATCH[1]}" scope global) =~ \ inet\ ([0-9.]+)/ ]] &&
    printf '%s' "${BASH_REMATCH[1]}"
}

# resolve_node fills in the kubeadm config what the program could not know:
# name and IP of a Heat scaling group's node, any Nova instance's id.
resolve_node() {
  local instance_id="" config
  if [[ -z $NODE_NAME ]]; then
    # cloud-init has set it from the instance metadata.
    NODE_NAME=$(dns_label "$(hostname)")
    [[ $NODE_NAME =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] ||
      die "cannot make a node name of the host name '$(hostname)'"
    log "node name from the host name: $NODE_NAME"
  fi
  if [[ -z $NODE_IP ]]; then
    NODE_IP=$(default_route_ip || true)
    [[ $NODE_IP =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}$ ]] ||
      die "no IPv4 address on the default route's interface: '$(ip -4 route show default)'"
    log "node IP from the default route's interface: $NODE_IP"
  fi
  config=$(<"$KUBEADM_CONFIG")
  if [[ $config == *"@INSTANCE_ID@"* ]]; then
    instance_id=$(cloud-init query v1.instance_id) ||
      die "cloud-init query v1.instance_id failed: the providerID needs the Nova instance id"
    [[ $instance_id =~ ^[A-Za-z0-9][-A-Za-z0-9]*$ ]] ||
      die "'$instance_id' from cloud-init is not a Nova instance id"
  fi
  config=${config//@NODE_NAME@/$NODE_NAME}
  config=${config//@NODE_IP@/$NODE_IP}
  config=${config//@INSTANCE_ID@/$instance_id}
  printf '%s\n' "$config" | put_file "$RESOLVED_CONFIG" 0600
}

prepare_node() {
  log "step 1/4: kernel modules, sysctls, swap"
  printf '%s\n' overlay br_netfilter | put_file /etc/modules-load.d/tacker-cilium.conf 0644
  modprobe overlay
  modprobe br_netfilter
  put_file /etc/sysctl.d/99-tacker-cilium.conf 0644 <<'SYSCTL'
net.ipv4.ip_forward = 1
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
SYSCTL
  sysctl -q -p /etc/sysctl.d/99-tacker-cilium.conf
  # kubelet refuses to run with swap on; keep it off after a reboot too.
  swapoff -a
  local active_swap='^[^#[:space:]]\S*\s+\S+\s+swap\s'
  if grep -qE "$active_swap" /etc/fstab 2>/dev/null; then
    sed -i -E "/$active_swap/ s/^/# /" /etc/fstab
  fi
}

# fetch_key REPO KEYRING: pkgs.k8s.io and the CRI-O repository publish an
# armored Release.key next to their packages.
fetch_key() { curl -fsSL "${1}Release.key" | gpg --batch --yes --dearmor -o "$2"; }

add_repo() {
  local name=$1 repo=$2 keyring=$KEYRINGS/$1.gpg
  if [[ ! -s $keyring ]]; then
    retry 5 10 fetch_key "$repo" "$keyring"
  fi
  printf 'deb [signed-by=%s] %s /\n' "$keyring" "$repo" | put_file "/etc/apt/sources.list.d/$name.list" 0644
}

# packages_current: the packages are installed at the versions node.env pins.
packages_current() {
  local want pkg v
  for want in "cri-o ${CRIO_MINOR}." "kubelet ${K8S_VERSION}-" "kubeadm ${K8S_VERSION}-" "kubectl ${K8S_VERSION}-"; do
    pkg=${want% *}
    v=$(dpkg-query -W -f='${db:Status-Status} ${Version}' "$pkg" 2>/dev/null) || return 1
    [[ $v == "installed ${want#* }"* ]] || return 1
  done
}

install_packages() {
  log "step 2/4: apt repositories, cri-o, kubelet, kubeadm, kubectl"
  if packages_current; then
    log "cri-o $CRIO_MINOR and Kubernetes $K8S_VERSION packages already installed"
  else
    # Cloud images ship these; only a minimal host pays for a second update.
    if ! command -v curl >/dev/null || ! command -v gpg >/dev/null || [[ ! -s /etc/ssl/certs/ca-certificates.crt ]]; then
      log "installing curl, gpg and ca-certificates first"
      retry 5 10 apt_get update
      retry 5 10 apt_get install --no-install-recommends curl gpg ca-certificates
    fi
    [[ -d $KEYRINGS ]] || install -d -m 0755 "$KEYRINGS"
    add_repo kubernetes "$K8S_REPO"
    add_repo cri-o "$CRIO_REPO"
    retry 5 10 apt_get update
    # Held packages would otherwise block a re-run on an existing host.
    retry 5 10 apt_get install --allow-change-held-packages \
      "cri-o=${CRIO_MINOR}.*" "kubelet=${K8S_VERSION}-*" "kubeadm=${K8S_VERSION}-*" "kubectl=${K8S_VERSION}-*"
  fi
  # A no-op on held packages.
  apt-mark hold cri-o kubelet kubeadm kubectl >/dev/null
}

start_services() {
  log "step 3/4: starting crio, enabling kubelet"
  systemctl enable --now crio
  # kubeadm starts kubelet once it has written the kubelet configuration.
  systemctl enable kubelet
}

# kubeadm reset empties /etc/kubernetes/pki, shared CAs included, so keep a
# copy of them for retries; the EXIT trap removes the copy again.
stash_pki() {
  local f
  for f in "${SHARED_PKI[@]}"; do
    [[ -s $PKI_DIR/$f ]] || die "$PKI_DIR/$f is missing: every control plane needs the shared PKI placed before bootstrap"
  done
  rm -rf "$PKI_STASH"
  install -d -m 0700 "$PKI_STASH"
  (cd "$PKI_DIR" && cp -p --parents "${SHARED_PKI[@]}" "$PKI_STASH/")
  trap 'rm -rf "$PKI_STASH"' EXIT
}

restore_pki() {
  [[ -d $PKI_STASH ]] || return 0
  install -d -m 0755 "$PKI_DIR"
  (cd "$PKI_STASH" && cp -p --parents "${SHARED_PKI[@]}" "$PKI_DIR/")
}

# reset_node undoes a kubeadm attempt: leftovers fail the next preflight.
reset_node() {
  kubeadm reset -f --cri-socket "$CRI_SOCKET" || log "kubeadm reset failed, trying on anyway"
  restore_pki || die "could not restore the shared PKI from $PKI_STASH"
}

# kubeadm_until_ok ATTEMPTS DELAY SUBCOMMAND ARGS...
kubeadm_until_ok() {
  local attempts=$1 delay=$2 n
  shift 2
  for ((n = 1; n <= attempts; n++)); do
    log "kubeadm $1, attempt $n/$attempts"
    if kubeadm "$@"; then
      return 0
    fi
    log "kubeadm $1 failed; resetting the node before the next attempt"
    reset_node
    if ((n < attempts)); then
      sleep "$delay"
    fi
  done
  return 1
}

run_kubeadm() {
  log "step 4/4: kubeadm ($ROLE)"
  [[ $ROLE == worker ]] || stash_pki
  if [[ -f $KUBEADM_STARTED ]]; then
    log "an earlier kubeadm run did not finish; resetting the node first"
    reset_node
  fi
  : >"$KUBEADM_STARTED"
  case $ROLE in
    init)
      kubeadm_until_ok 3 30 init --config "$RESOLVED_CONFIG" --skip-token-print ||
        die "kubeadm init failed 3 times, see its output above"
      ;;
    control-plane | worker)
      # The first control plane boots at the same time and may not serve yet.
      kubeadm_until_ok 60 10 join --config "$RESOLVED_CONFIG" ||
        die "kubeadm join failed 60 times, 10s apart: is the control-plane endpoint in $RESOLVED_CONFIG up and is the token still valid?"
      ;;
  esac
  if [[ -f /etc/kubernetes/admin.conf ]]; then
    [[ -d /root/.kube ]] || install -d -m 0700 /root/.kube
    put_file /root/.kube/config 0600 </etc/kubernetes/admin.conf
  fi
  printf '%s %s\n' "$NODE_NAME" "$ROLE" | put_file "$DONE" 0644
  rm -f "$KUBEADM_STARTED"
}

resolve_node
log "bootstrapping $NODE_NAME ($NODE_IP) as $ROLE, Kubernetes $K8S_VERSION, CRI-O $CRIO_MINOR"
prepare_node
install_packages
start_services
run_kubeadm
log "done: $NODE_NAME is a $ROLE node of the cluster"
