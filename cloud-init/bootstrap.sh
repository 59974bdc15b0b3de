#!/usr/bin/env bash
# Turns a fresh Ubuntu 24.04 / Debian 12 host into a Kubernetes node (CRI-O +
# kubeadm) and makes it init or join the cluster. Cloud-init runs it at first
# boot; the same file is also run over SSH on an existing host, so everything
# it needs comes from the node.env it sources and the files that names, never
# from cloud-init itself.
#
#   bootstrap.sh [NODE_ENV]    (default /etc/tacker-cilium/node.env)
#
# Safe to re-run: a node that already joined exits 0 at once, and a failed
# kubeadm attempt is reset before the next one.
set -euo pipefail

ENV_FILE=${1:-/etc/tacker-cilium/node.env}
PKI_DIR=/etc/kubernetes/pki
# The CA, front-proxy CA, etcd CA and service-account keys every control plane
# shares. They are placed before this script runs (no certificateKey upload).
SHARED_PKI=(ca.crt ca.key sa.key sa.pub front-proxy-ca.crt front-proxy-ca.key etcd/ca.crt etcd/ca.key)
KEYRINGS=/etc/apt/keyrings
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

((EUID == 0)) || die "must run as root"
[[ -r $ENV_FILE ]] || die "cannot read $ENV_FILE (pass the node.env path as the first argument)"
# shellcheck source=/dev/null # rendered per node by the Pulumi program
. "$ENV_FILE"
: "${ROLE:?missing in node.env}" "${NODE_NAME:?missing in node.env}" "${NODE_IP:?missing in node.env}"
: "${K8S_VERSION:?missing in node.env}" "${K8S_MINOR:?missing in node.env}" "${CRIO_MINOR:?missing in node.env}"
: "${K8S_REPO:?missing in node.env}" "${CRIO_REPO:?missing in node.env}"
: "${KUBEADM_CONFIG:?missing in node.env}" "${CRI_SOCKET:?missing in node.env}" "${UNTAINT:=false}"
PKI_STASH=$(dirname "$KUBEADM_CONFIG")/pki-stash

case $ROLE in
  init | control-plane | worker) ;;
  *) die "unknown ROLE '$ROLE' in $ENV_FILE (want init, control-plane or worker)" ;;
esac

# kubeadm writes kubelet.conf only on the way to success, and a failed attempt
# is reset below, so its presence means this node is already in the cluster.
if [[ -f /etc/kubernetes/kubelet.conf ]]; then
  log "/etc/kubernetes/kubelet.conf exists: $NODE_NAME already joined, nothing to do"
  exit 0
fi
[[ -r $KUBEADM_CONFIG ]] || die "cannot read the kubeadm config $KUBEADM_CONFIG"
log "bootstrapping $NODE_NAME ($NODE_IP) as $ROLE, Kubernetes $K8S_VERSION, CRI-O $CRIO_MINOR"

prepare_node() {
  log "step 1/4: kernel modules, sysctls, swap"
  printf '%s\n' overlay br_netfilter >/etc/modules-load.d/tacker-cilium.conf
  modprobe overlay
  modprobe br_netfilter
  cat >/etc/sysctl.d/99-tacker-cilium.conf <<'SYSCTL'
net.ipv4.ip_forward = 1
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
SYSCTL
  sysctl -q -p /etc/sysctl.d/99-tacker-cilium.conf
  # kubelet refuses to run with swap on; keep it off after a reboot too.
  swapoff -a
  sed -i -E '/^[^#[:space:]]\S*\s+\S+\s+swap\s/ s/^/# /' /etc/fstab
}

# fetch_key REPO KEYRING: pkgs.k8s.io and the CRI-O repository publish an
# armored Release.key next to their packages.
fetch_key() { curl -fsSL "${1}Release.key" | gpg --batch --yes --dearmor -o "$2"; }

add_repo() {
  local name=$1 repo=$2
  retry 5 10 fetch_key "$repo" "$KEYRINGS/$name.gpg"
  printf 'deb [signed-by=%s] %s /\n' "$KEYRINGS/$name.gpg" "$repo" >"/etc/apt/sources.list.d/$name.list"
}

install_packages() {
  log "step 2/4: apt repositories, cri-o, kubelet, kubeadm, kubectl"
  # Cloud images ship these; only a minimal host pays for a second update.
  if ! command -v curl >/dev/null || ! command -v gpg >/dev/null || [[ ! -s /etc/ssl/certs/ca-certificates.crt ]]; then
    log "installing curl, gpg and ca-certificates first"
    retry 5 10 apt_get update
    retry 5 10 apt_get install --no-install-recommends curl gpg ca-certificates
  fi
  install -d -m 0755 "$KEYRINGS"
  add_repo kubernetes "$K8S_REPO"
  add_repo cri-o "$CRIO_REPO"
  retry 5 10 apt_get update
  # Held packages would otherwise block a re-run on an existing host.
  retry 5 10 apt_get install --allow-change-held-packages \
    "cri-o=${CRIO_MINOR}.*" "kubelet=${K8S_VERSION}-*" "kubeadm=${K8S_VERSION}-*" "kubectl=${K8S_VERSION}-*"
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

# kubeadm_until_ok ATTEMPTS DELAY SUBCOMMAND ARGS...: a failed attempt leaves
# files behind that fail the next preflight, so reset in between.
kubeadm_until_ok() {
  local attempts=$1 delay=$2 n
  shift 2
  for ((n = 1; n <= attempts; n++)); do
    log "kubeadm $1, attempt $n/$attempts"
    if kubeadm "$@"; then
      return 0
    fi
    log "kubeadm $1 failed; resetting the node before the next attempt"
    kubeadm reset -f --cri-socket "$CRI_SOCKET" || log "kubeadm reset failed, trying on anyway"
    restore_pki || die "could not restore the shared PKI from $PKI_STASH"
    if ((n < attempts)); then
      sleep "$delay"
    fi
  done
  return 1
}

run_kubeadm() {
  log "step 4/4: kubeadm ($ROLE)"
  case $ROLE in
    init)
      stash_pki
      kubeadm_until_ok 3 30 init --config "$KUBEADM_CONFIG" --skip-token-print ||
        die "kubeadm init failed 3 times, see its output above"
      if [[ $UNTAINT == true ]]; then
        log "UNTAINT=true: the kubeadm config registers this control plane without taints"
      fi
      ;;
    control-plane | worker)
      [[ $ROLE == worker ]] || stash_pki
      # The first control plane boots at the same time and may not serve yet.
      kubeadm_until_ok 60 10 join --config "$KUBEADM_CONFIG" ||
        die "kubeadm join failed 60 times, 10s apart: is the control-plane endpoint in $KUBEADM_CONFIG up and is the token still valid?"
      ;;
  esac
  if [[ -f /etc/kubernetes/admin.conf ]]; then
    install -d -m 0700 /root/.kube
    install -m 0600 /etc/kubernetes/admin.conf /root/.kube/config
  fi
}

prepare_node
install_packages
start_services
run_kubeadm
log "done: $NODE_NAME is a $ROLE node of the cluster"
