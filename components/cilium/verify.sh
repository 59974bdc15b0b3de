#!/usr/bin/env bash
# Runs on the first control plane after the Cilium release: waits for the
# cilium DaemonSet to roll out and for every node to be Ready, and on failure
# names the nodes and pods that are not.
set -uo pipefail

TIMEOUT=${TIMEOUT:-600s}
k() { sudo kubectl --kubeconfig=/etc/kubernetes/admin.conf "$@"; }

if ! k -n kube-system rollout status daemonset/cilium --timeout="$TIMEOUT"; then
  echo "cilium DaemonSet did not roll out within $TIMEOUT; cilium pods not ready:" >&2
  k -n kube-system get pods -l k8s-app=cilium -o wide --no-headers |
    awk '{ split($2, r, "/"); if (r[1] != r[2] || $3 != "Running") print "  pod " $1 " on node " $7 ": " $3 " (" $2 " ready)" }' >&2
  exit 1
fi
if ! k wait --for=condition=Ready nodes --all --timeout="$TIMEOUT"; then
  echo "nodes not Ready within $TIMEOUT:" >&2
  k get nodes --no-headers | awk '$2 != "Ready" { print "  node " $1 ": " $2 }' >&2
  echo "pods of kube-system not running:" >&2
  k -n kube-system get pods -o wide --no-headers | awk '$3 != "Running" { print "  pod " $1 " on node " $7 ": " $3 }' >&2
  exit 1
fi
k get nodes -o wide
