#!/usr/bin/env bash
# Prints what the project's operations cost on this machine:
#   - per stack (stacks/Pulumi.<stack>.yaml): `tacker-cilium render`;
#   - the program's evaluation on mocks per node, at 3, 30 and 300 nodes;
#   - on the real engine (Pulumi CLI, kubernetes provider, loopback
#     kube-apiserver): the preview and up of the engine tests, which log
#     their timings as "bench: NAME SECONDSs" lines.
# Needs the tools of scripts/tools.sh for the engine part.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# Engine tests whose "bench:" lines are reported: the driver's smoke
# lifecycle and the end-to-end run of the bring-your-own-cluster stack.
ENGINE_TESTS=${ENGINE_TESTS:-'^(TestEngineLifecycle|TestE2E.*)$'}
ENGINE_PKGS=${ENGINE_PKGS:-./automation/ ./tests/e2e/}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/tacker-cilium" ./cmd/tacker-cilium

ms() { echo $(($(date +%s%N) / 1000000)); }

echo "== render (program on mocks, files written), per stack"
for f in stacks/Pulumi.*.yaml; do
  stack=${f#stacks/Pulumi.}
  stack=${stack%.yaml}
  t0=$(ms)
  if "$tmp/tacker-cilium" render --stack "$stack" --out "$tmp/out" >/dev/null 2>"$tmp/err"; then
    t1=$(ms)
    printf '  %-14s %6d ms\n' "$stack" $((t1 - t0))
  else
    # The last line is the reason (the existing stack's kubeconfig is a
    # secret, which render cannot read).
    printf '  %-14s not rendered: %s\n' "$stack" "$(tail -1 "$tmp/err" | cut -d';' -f1)"
  fi
done

echo "== program evaluation per node (multinode program on mocks)"
go test -run '^$' -bench '^BenchmarkProgram$' -benchtime 5x ./stacks/ |
  awk '/^BenchmarkProgram/ {
    split($1, a, "nodes="); n = a[2]; sub(/-[0-9]+$/, "", n)
    for (i = 2; i < NF; i++) { if ($(i + 1) == "ns/op") op = $i; if ($(i + 1) == "µs/node") per = $i }
    printf "  %4d nodes: %8.1f ms per evaluation, %6.2f ms per node\n", n, op / 1e6, per / 1000
  }'

echo "== real engine (Pulumi CLI, pulumi-resource-kubernetes, loopback kube-apiserver)"
# shellcheck disable=SC2086 # ENGINE_PKGS is a list
if ! go test -count=1 -v -run "$ENGINE_TESTS" $ENGINE_PKGS >"$tmp/engine.log" 2>&1; then
  grep -E -- '--- FAIL|tools.sh' "$tmp/engine.log" | sed 's/^/  /' || true
  echo "  engine tests failed (full log above the summary: go test -v -run '$ENGINE_TESTS' $ENGINE_PKGS)"
  exit 1
fi
grep -o 'bench: .*' "$tmp/engine.log" | sed 's/^bench: /  /'
