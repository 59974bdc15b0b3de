#!/usr/bin/env bash
# Runs on the first control plane after the Cilium release: waits for the
# cilium DaemonSet to roll out and for every node to be Ready, and on failure
# names the nodes and pods that are not.
set -uo pipefail

TIMEOUT=${TIMEOUT:-600s}
# KUBECTL: another kubectl command line (the tests point it at a loopback
# API server); by default the control plane's admin kubeconfig.
k() {
  if [ -n "${KUBECTL:-}" ]; then $KUBECTL "$@"; else sudo kubectl --kubeconfig=/etc/kubernetes/admin.conf "$@"; fi
}

if ! k -n kube-system rollout status daemonset/cilium --timeout="$TIMEOUT"; then
  echo "cilium DaemonSet did not roll out within $TIMEOUT; cilium pods not ready:" >&2
  # Columns of our own: -o wide's RESTARTS spans several words ("1 (5m ago)").
  k -n kube-system get pods -l k8s-app=cilium --no-headers \
    -o custom-columns='POD:.metadata.name,NODE:.spec.nodeName,PHASE:.status.phase,READY:.status.containerStatuses[*].ready' |
    awk '$3 != "Running" || $4 !~ /^true(,true)*$/ { print "  pod " $1 " on node " $2 ": " $3 " (ready: " $4 ")" }' >&2
  exit 1
fi
if ! k wait --for=condition=Ready nodes --all --timeout="$TIMEOUT"; then
  echo "nodes not Ready within $TIMEOUT:" >&2
  k get nodes --no-headers | awk '$2 != "Ready" { print "  node " $1 ": " $2 }' >&2
  echo "pods of kube-system not running:" >&2
  k -n kube-system get pods --no-headers -o custom-columns='POD:.metadata.name,NODE:.spec.nodeName,PHASE:.status.phase' |
    awk '$3 != "Running" { print "  pod " $1 " on node " $2 ": " $3 }' >&2
  exit 1
fi
k get nodes -o wide
