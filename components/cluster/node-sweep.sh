#!/usr/bin/env bash
# Runs on the first control plane whenever the cluster's servers change (a
# scale-in of the VMs, or Tacker's instantiate, scale or heal of the VNF):
# deletes the Node objects whose Nova server is gone, so that no stale
# NotReady node remains.
#
# Every node carries its server's id as providerID openstack:///<id>
# (cloud-init/bootstrap.sh). LIVE_SERVERS lists the ids of the servers the
# cluster has now. A node whose server is gone is deleted once it is not
# Ready (its kubelet stopped with the server). A worker healed by Tacker
# comes back under its old name on a new server, so its Node keeps the old
# id but is Ready again: it is kept, and named after GRACE seconds of waiting.
set -euo pipefail

LIVE_SERVERS=${LIVE_SERVERS:?LIVE_SERVERS: the Nova server ids of the cluster}
GRACE=${GRACE:-180}
INTERVAL=${INTERVAL:-10}
k() {
  if [ -n "${KUBECTL:-}" ]; then $KUBECTL "$@"; else sudo kubectl --kubeconfig=/etc/kubernetes/admin.conf "$@"; fi
}

deadline=$((SECONDS + GRACE))
while :; do
  waiting=()
  # "|" keeps empty fields (a node without providerID or Ready condition).
  while IFS='|' read -r name provider ready; do
    id=${provider#openstack:///}
    if [ -z "$name" ] || [ "$provider" = "$id" ]; then
      continue # not the node of an OpenStack server
    fi
    case " $LIVE_SERVERS " in *" $id "*) continue ;; esac
    if [ "$ready" = True ]; then
      waiting+=("$name")
    else
      k delete node "$name" --wait=false >/dev/null
      echo "deleted node $name: server $id is gone"
    fi
  done < <(k get nodes -o jsonpath='{range .items[*]}{.metadata.name}{"|"}{.spec.providerID}{"|"}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}')
  [ ${#waiting[@]} -eq 0 ] && exit 0
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "kept ${waiting[*]}: Ready, with the id of a server that is gone (a healed node keeps its name)"
    exit 0
  fi
  sleep "$INTERVAL"
done
