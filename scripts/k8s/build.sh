#!/usr/bin/env bash
# Builds the binaries of a real Kubernetes control plane for the integration
# tests (test/k8senv): kube-apiserver, kube-controller-manager, kube-scheduler,
# etcd and kwok, all from the Go module proxy. It also copies kwok's Stage
# manifests and the Gateway API standard CRDs out of the module cache.
#
# Everything lands in ${GENNAKER_K8S_CACHE:-$HOME/.cache/gennaker/k8s}:
#   bin/{kube-apiserver,kube-controller-manager,kube-scheduler,etcd,kwok}
#   bin/.stamp-<component>        version each binary was built at
#   kwok-stage/                   kwok's kustomize/stage/** (*.yaml, no testdata)
#   gateway-api-crds/standard/    gateway-api config/crd/standard/*.yaml
#   src/<component>-<version>/    scratch Go modules used for the builds
#
# A component whose stamp matches its version is skipped, so a second run
# takes well under a second. Cold: about 5-8 minutes on 2 cores.
set -euo pipefail

KUBERNETES_VERSION=v1.37.2
STAGING_VERSION=v0.37.2
ETCD_VERSION=v3.7.3
KWOK_VERSION=v0.8.0
GATEWAY_API_VERSION=v1.6.3

CACHE="${GENNAKER_K8S_CACHE:-$HOME/.cache/gennaker/k8s}"
BIN="$CACHE/bin"
mkdir -p "$BIN" "$CACHE/src"

export GOFLAGS="-mod=mod -buildvcs=false"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
GOVERSION="$(go env GOVERSION)"

now() { date +%s; }
T0=$(now)
log() { echo "k8s build: $*"; }

# stamp_ok NAME VERSION: the binary exists and was built at VERSION with this Go.
stamp_ok() {
  [ -x "$BIN/$1" ] && [ -f "$BIN/.stamp-$1" ] && [ "$(cat "$BIN/.stamp-$1")" = "$2 $GOVERSION" ]
}
stamp() { echo "$2 $GOVERSION" > "$BIN/.stamp-$1"; }

# Kubernetes: a scratch module requiring k8s.io/kubernetes whose replace
# directives point every staging module (=> ./staging/...) at its published
# v0.x release (k8s.io/sample-* are not published and not needed).
build_kubernetes() {
  local need=0 c
  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    stamp_ok "$c" "$KUBERNETES_VERSION" || need=1
  done
  if [ "$need" = 0 ]; then log "kubernetes $KUBERNETES_VERSION: cached"; return; fi
  local t=$(now) dir="$CACHE/src/kubernetes-$KUBERNETES_VERSION"
  mkdir -p "$dir"
  local gomod
  gomod="$(cd "$dir" && GOFLAGS= go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  {
    echo "module gennaker.local/k8sbuild/kubernetes"
    echo
    echo "go $(go env GOVERSION | sed 's/^go//')"
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    echo "replace ("
    grep -E '^[[:space:]]*k8s\.io/[^ ]+ => \./staging/' "$gomod" | awk '{print $1}' | grep -v '^k8s.io/sample-' |
      while read -r m; do echo "	$m => $m $STAGING_VERSION"; done
    echo ")"
  } > "$dir/go.mod"
  local v="k8s.io/component-base/version" minor
  minor="$(echo "$KUBERNETES_VERSION" | cut -d. -f2)"
  local ldflags="-s -w -X $v.gitVersion=$KUBERNETES_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean -X $v.buildDate=1970-01-01T00:00:00Z"
  log "kubernetes $KUBERNETES_VERSION: building kube-apiserver, kube-controller-manager, kube-scheduler"
  (cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$BIN/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler)
  for c in kube-apiserver kube-controller-manager kube-scheduler; do stamp "$c" "$KUBERNETES_VERSION"; done
  log "kubernetes $KUBERNETES_VERSION: built in $(( $(now) - t ))s"
}

# etcd: the server module's main package, with its ../api, ../client/...
# replace directives pointed at the published modules of the same version.
build_etcd() {
  if stamp_ok etcd "$ETCD_VERSION"; then log "etcd $ETCD_VERSION: cached"; return; fi
  local t=$(now) dir="$CACHE/src/etcd-$ETCD_VERSION"
  mkdir -p "$dir"
  cat > "$dir/go.mod" <<MOD
module gennaker.local/k8sbuild/etcd

go $(go env GOVERSION | sed 's/^go//')

require go.etcd.io/etcd/server/v3 $ETCD_VERSION

replace (
	go.etcd.io/etcd/api/v3 => go.etcd.io/etcd/api/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/pkg/v3 => go.etcd.io/etcd/client/pkg/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/v3 => go.etcd.io/etcd/client/v3 $ETCD_VERSION
	go.etcd.io/etcd/pkg/v3 => go.etcd.io/etcd/pkg/v3 $ETCD_VERSION
)
MOD
  log "etcd $ETCD_VERSION: building"
  (cd "$dir" && go build -trimpath -ldflags "-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3)
  stamp etcd "$ETCD_VERSION"
  log "etcd $ETCD_VERSION: built in $(( $(now) - t ))s"
}

# kwok has no replace directives, so go install pkg@version works.
build_kwok() {
  if stamp_ok kwok "$KWOK_VERSION"; then log "kwok $KWOK_VERSION: cached"; return; fi
  local t=$(now)
  log "kwok $KWOK_VERSION: building"
  (cd "$CACHE" && GOFLAGS=-buildvcs=false GOBIN="$BIN" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION")
  stamp kwok "$KWOK_VERSION"
  log "kwok $KWOK_VERSION: built in $(( $(now) - t ))s"
}

# module_dir MODULE@VERSION: the module's directory in the module cache.
module_dir() {
  (cd "$CACHE" && GOFLAGS= go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
}

copy_assets() {
  local dst="$CACHE/kwok-stage"
  if [ "$(cat "$dst/.stamp" 2>/dev/null)" != "$KWOK_VERSION" ]; then
    local src; src="$(module_dir "sigs.k8s.io/kwok@$KWOK_VERSION")/kustomize/stage"
    rm -rf "$dst"; mkdir -p "$dst"
    (cd "$src" && find . -name '*.yaml' -not -path '*/testdata/*' -not -name kustomization.yaml) |
      while read -r f; do mkdir -p "$dst/$(dirname "$f")"; cp "$src/$f" "$dst/$f"; done
    chmod -R u+w "$dst"
    echo "$KWOK_VERSION" > "$dst/.stamp"
    log "kwok $KWOK_VERSION stages copied to $dst"
  fi
  dst="$CACHE/gateway-api-crds"
  if [ "$(cat "$dst/.stamp" 2>/dev/null)" != "$GATEWAY_API_VERSION" ]; then
    local src; src="$(module_dir "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION")/config/crd/standard"
    rm -rf "$dst"; mkdir -p "$dst/standard"
    cp "$src"/*.yaml "$dst/standard/"
    chmod -R u+w "$dst"
    echo "$GATEWAY_API_VERSION" > "$dst/.stamp"
    log "gateway-api $GATEWAY_API_VERSION standard CRDs copied to $dst/standard"
  fi
}

build_kubernetes
build_etcd
build_kwok
copy_assets
log "done in $(( $(now) - T0 ))s; binaries in $BIN"
