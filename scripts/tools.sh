#!/usr/bin/env bash
# Installs every tool the tests drive, from Debian's apt and the Go module
# proxy only. Idempotent: each Go-built tool is cached by version under
# $TOOLS_DIR (default .tools/, git-ignored) and rebuilt only when the version
# changes; bin/ holds the links the tests use.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS_DIR=${TOOLS_DIR:-$ROOT/.tools}
BIN=$TOOLS_DIR/bin
MATRIX=$ROOT/internal/versions/matrix.yaml

# matrix SECTION KEY: a value of the version matrix, so that the kubeadm that
# validates configs and the Cilium chart are the default's, never a copy.
matrix() {
  awk -v sec="$1" -v key="$2" '
    /^[a-z]/ { s = $1 }
    s == sec ":" { for (i = 1; i <= NF; i++) if ($i ~ "^\"?" key "\"?[:,]?$") { v = $(i + 1); gsub(/[",{}]/, "", v); print v; exit } }
    s == "default:" && sec == "default" { match($0, key ": *\"[0-9.]*\""); if (RSTART) { v = substr($0, RSTART, RLENGTH); sub(/.*: */, "", v); gsub(/"/, "", v); print v; exit } }
  ' "$MATRIX"
}
KUBE_MINOR=$(matrix default kubernetes)
KUBE_VERSION=v$(matrix kubernetes "$KUBE_MINOR")
CILIUM_VERSION=$(matrix cilium "$(matrix default cilium)")
HELM_VERSION=v3.21.4
PULUMI_VERSION=v3.276.0
# pulumi-kubernetes' provider module carries no tags of its own: this commit
# of github.com/pulumi/pulumi-kubernetes is the one the proxy serves. It
# reports itself as the SDK's version (KUBE_PROVIDER_REPORTS), the one that
# the program's github.com/pulumi/pulumi-kubernetes/sdk/v4 asks the engine for.
KUBE_PROVIDER_MODULE=v4.0.0-20260115033456-f47bc2d6f199
KUBE_PROVIDER_REPORTS=4.32.0
APT_PACKAGES=(cloud-init shellcheck etcd-server python3-tackerclient python3-tosca-parser)

log() { printf 'tools: %s\n' "$*" >&2; }
[[ $KUBE_VERSION =~ ^v1\.[0-9]+\.[0-9]+$ ]] || { log "no default Kubernetes patch in $MATRIX (got '$KUBE_VERSION')"; exit 1; }
[[ $CILIUM_VERSION =~ ^1\.[0-9]+\.[0-9]+$ ]] || { log "no default Cilium patch in $MATRIX (got '$CILIUM_VERSION')"; exit 1; }
mkdir -p "$BIN"

# apt_install WHY PACKAGE...: installs those of the packages that are not
# installed yet, with one apt-get update; nothing when all are.
apt_install() {
  local why=$1 missing=() p
  shift
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  log "apt install ${missing[*]}${why:+ ($why)}"
  local sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# etcd-server would start a system etcd on 2379; the tests run their own.
install_apt() { apt_install "" "${APT_PACKAGES[@]}"; }

# build_kube BINARY: a throw-away module that requires k8s.io/kubernetes and
# maps each staging module it names to the matching published v0.Y.Z.
build_kube() {
  local name=$1 out=$TOOLS_DIR/$1-$KUBE_VERSION/$1
  if [ ! -x "$out" ]; then
    log "building $name $KUBE_VERSION (minutes when cold)"
    local src=$TOOLS_DIR/src/kube-$KUBE_VERSION staging=v0.${KUBE_VERSION#v1.}
    mkdir -p "$src"
    if [ ! -f "$src/go.mod" ]; then
      local gomod
      gomod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
      {
        echo "module kubetools"
        echo "go 1.26"
        echo "require k8s.io/kubernetes $KUBE_VERSION"
        grep -o 'k8s.io/[a-z0-9-]* => ./staging' "$gomod" | awk -v v="$staging" '{print "replace " $1 " => " $1 " " v}'
      } >"$src/go.mod"
    fi
    local pkg=k8s.io/kubernetes/cmd/$name
    (cd "$src" && go get "$pkg@$KUBE_VERSION")
    local ld="-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION"
    ld+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${KUBE_MINOR#1.}"
    ld+=" -X k8s.io/component-base/version.gitTreeState=clean"
    mkdir -p "$(dirname "$out")"
    (cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "$ld" -o "$out.tmp" "$pkg") && mv "$out.tmp" "$out"
  fi
  ln -sf "$out" "$BIN/$name"
}

build_helm() {
  local dir=$TOOLS_DIR/helm-$HELM_VERSION
  if [ ! -x "$dir/helm" ]; then
    log "building helm $HELM_VERSION (minutes when cold)"
    mkdir -p "$dir"
    GOBIN=$dir CGO_ENABLED=0 go install -trimpath "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  fi
  ln -sf "$dir/helm" "$BIN/helm"
}

# The Cilium chart comes from the Go module of the same release: no network
# beyond the module proxy, and exactly the pinned version.
fetch_cilium_chart() {
  local link=$TOOLS_DIR/cilium-chart-$CILIUM_VERSION
  if [ ! -f "$link/Chart.yaml" ]; then
    log "fetching the cilium $CILIUM_VERSION chart from the module proxy"
    local dir
    dir=$(go mod download -json "github.com/cilium/cilium@v$CILIUM_VERSION" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
    ln -sfn "$dir/install/kubernetes/cilium" "$link"
  fi
  ln -sfn "$link" "$TOOLS_DIR/cilium-chart"
}

# build_pulumi: the Pulumi CLI from a throw-away module requiring pkg and sdk
# at one version, with pkg's one non-local replace copied (replaces of a
# dependency do not apply). The version is stamped so that the Automation
# API's minimum-version check can read it.
build_pulumi() {
  local dir=$TOOLS_DIR/pulumi-$PULUMI_VERSION
  if [ ! -x "$dir/pulumi" ]; then
    log "building pulumi $PULUMI_VERSION (about 8 minutes when cold)"
    local src=$TOOLS_DIR/src/pulumi-$PULUMI_VERSION
    mkdir -p "$src" "$dir"
    if [ ! -f "$src/go.mod" ]; then
      cat >"$src/go.mod" <<EOF
module pulumitools

go 1.26

require (
	github.com/pulumi/pulumi/pkg/v3 $PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
EOF
    fi
    local pkg=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
    (cd "$src" && go get "$pkg@$PULUMI_VERSION")
    (cd "$src" && CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
      -o "$dir/pulumi.tmp" "$pkg") && mv "$dir/pulumi.tmp" "$dir/pulumi"
  fi
  ln -sf "$dir/pulumi" "$BIN/pulumi"
}

# build_kube_provider: pulumi-resource-kubernetes. Its main package embeds a
# schema-embed.json that upstream generates, so the package is copied into a
# throw-away module, its generate.go run with VERSION set, then built.
build_kube_provider() {
  local tag=$KUBE_PROVIDER_REPORTS-${KUBE_PROVIDER_MODULE##*-}
  local dir=$TOOLS_DIR/pulumi-resource-kubernetes-$tag
  if [ ! -x "$dir/pulumi-resource-kubernetes" ]; then
    log "building pulumi-resource-kubernetes $KUBE_PROVIDER_REPORTS (module $KUBE_PROVIDER_MODULE; about 8 minutes when cold)"
    local mod=github.com/pulumi/pulumi-kubernetes/provider/v4
    local src=$TOOLS_DIR/src/pulumi-resource-kubernetes-$tag up
    up=$(go mod download -json "$mod@$KUBE_PROVIDER_MODULE" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
    mkdir -p "$src" "$dir"
    if [ ! -f "$src/go.mod" ]; then
      cp "$up"/cmd/pulumi-resource-kubernetes/{main.go,generate.go,schema.json,terraform-mapping.json} "$src/"
      chmod u+w "$src"/*
      printf 'module kubeprovider\n\ngo 1.26\n\nrequire %s %s\n' "$mod" "$KUBE_PROVIDER_MODULE" >"$src/go.mod"
    fi
    (cd "$src" && go get "$mod/pkg/provider@$KUBE_PROVIDER_MODULE")
    # generate.go is tagged ignore: its import is added at the version the
    # provider already builds with, so nothing else moves.
    local pkgv
    pkgv=$(cd "$src" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)
    (cd "$src" && go get "github.com/pulumi/pulumi/pkg/v3/codegen/schema@$pkgv")
    (cd "$src" && VERSION=$KUBE_PROVIDER_REPORTS go run ./generate.go)
    (cd "$src" && CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X $mod/pkg/version.Version=$KUBE_PROVIDER_REPORTS" \
      -o "$dir/pulumi-resource-kubernetes.tmp" .) && mv "$dir/pulumi-resource-kubernetes.tmp" "$dir/pulumi-resource-kubernetes"
  fi
  ln -sf "$dir/pulumi-resource-kubernetes" "$BIN/pulumi-resource-kubernetes"
}

# install_keystone: a real Keystone for the Tacker provider's tests
# (tests/tacker): Debian's keystone on PostgreSQL (SQLite breaks under
# uwsgi's threads), uwsgi with its python3 plugin, and python-tackerclient's
# `openstack vim` commands as the reference client. The tests start and stop
# their own PostgreSQL (Unix socket only) and Keystone (loopback port);
# services the packages may start are not used.
KEYSTONE_PACKAGES=(keystone postgresql python3-psycopg2 uwsgi-core uwsgi-plugin-python3 python3-openstackclient python3-tackerclient)
install_keystone() { apt_install "Keystone for tests/tacker; about 2 minutes" "${KEYSTONE_PACKAGES[@]}"; }

# install_tosca: python3-tosca-parser 2.6.0-2 ships without its two type
# definition files, so every parse fails; copies from tosca-parser 2.6.0
# (Apache-2.0) are kept in scripts/tosca-parser-data/ and put where the
# package looks for them. python3-heatclient reads the VNF package's Heat
# templates as `openstack stack create` would.
TOSCA_PACKAGES=(python3-tosca-parser python3-heatclient python3-yaml)
install_tosca() {
  apt_install "" "${TOSCA_PACKAGES[@]}"
  local sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
  local dir
  dir=$(/usr/bin/python3 -c 'import os, toscaparser; print(os.path.dirname(toscaparser.__file__))')
  local src=$ROOT/scripts/tosca-parser-data
  local f dst
  for f in elements/TOSCA_definition_1_0.yaml extensions/nfv/TOSCA_nfv_definition_1_0_0.yaml; do
    dst=$dir/$f
    if [ ! -f "$dst" ]; then
      log "installing ${f##*/} into $dir"
      $sudo install -m 0644 "$src/${f##*/}" "$dst"
    fi
  done
}

want=${*:-all}
for w in $want; do
  case $w in
    apt) install_apt ;;
    kubeadm) build_kube kubeadm ;;
    helm) build_helm ;;
    chart) fetch_cilium_chart ;;
    pulumi) build_pulumi ;;
    kube-provider) build_kube_provider ;;
    kube-apiserver) build_kube kube-apiserver ;;
    kube-controller-manager) build_kube kube-controller-manager ;;
    kubectl) build_kube kubectl ;;
    keystone) install_keystone ;;
    tosca) install_tosca ;;
    all) install_apt; install_tosca; install_keystone; fetch_cilium_chart; build_kube kubeadm; build_helm; build_kube kube-apiserver; build_kube kube-controller-manager; build_kube kubectl; build_pulumi; build_kube_provider ;;
    *) log "unknown tool $w (apt tosca kubeadm helm chart pulumi kube-provider kube-apiserver kube-controller-manager kubectl keystone all)"; exit 2 ;;
  esac
done
log "ready in $BIN"
