#!/usr/bin/env bash
# Builds a real Kubernetes control plane from source, through the Go module proxy, once:
# kube-apiserver, kube-controller-manager and etcd into .tools/kube/<version>/bin/.
# The tests in tests/kube_real start them (envtest-style). A second run is instant.
#
# k8s.io/kubernetes cannot be built with `go install pkg@version`: its go.mod requires the
# k8s.io/* staging modules at v0.0.0 and replaces them with ./staging, which only works
# inside its own repository. So a small wrapper module requires k8s.io/kubernetes and
# replaces every staging module with its published v0.X.Y release. etcd is built in the same
# module, at the version k8s.io/kubernetes itself requires (what that release is tested with).
#
# Everything (GOPATH, module and build caches) stays under .tools/: nothing outside the
# repository is needed or written. Cold: the modules are downloaded and ~2,000 packages
# compiled (measured: 10m42s of CPU, 19 min wall on a busy 2-core machine); warm (binaries
# present): instant.
set -euo pipefail
cd "$(dirname "$0")/.."

KUBE_VERSION=${KUBE_VERSION:-v1.37.2}
STAGING_VERSION=v0.${KUBE_VERSION#v1.}

ROOT=$PWD/.tools/kube/$KUBE_VERSION
BIN=$ROOT/bin
STAMP=$BIN/.built
BINARIES=(kube-apiserver kube-controller-manager etcd)

built() {
  [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$KUBE_VERSION" ] || return 1
  local b
  for b in "${BINARIES[@]}"; do [ -x "$BIN/$b" ] || return 1; done
}

if built; then
  echo "$BIN"
  exit 0
fi
# One build at a time (make kube-tools and a test run may start together): the second waits,
# then finds the binaries built.
mkdir -p "$ROOT"
exec 9>"$ROOT/.lock"
flock 9
if built; then
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null || { echo "build-kube: 'go' is not on PATH (Go 1.26 is needed)" >&2; exit 1; }

export GOPATH=$PWD/.tools/go
export GOMODCACHE=$GOPATH/pkg/mod
export GOCACHE=$PWD/.tools/go-build
# -modcacherw: the module cache can be removed with rm -rf like the rest of .tools/.
export GOFLAGS="-mod=mod -modcacherw"
export CGO_ENABLED=0
export GOTOOLCHAIN=local
start=$(date +%s)

SRC=$ROOT/src
mkdir -p "$SRC" "$BIN"
cd "$SRC"

echo "build-kube: k8s.io/kubernetes $KUBE_VERSION (staging modules $STAGING_VERSION) into $BIN" >&2
KUBE_MOD=$(cd / && go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" \
  | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
[ -f "$KUBE_MOD" ] || { echo "build-kube: could not download k8s.io/kubernetes@$KUBE_VERSION" >&2; exit 1; }

# Every `k8s.io/x => ./staging/src/k8s.io/x` of k8s.io/kubernetes's go.mod, as a published release.
STAGING=$(sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/.*#\1#p' "$KUBE_MOD")
[ -n "$STAGING" ] || { echo "build-kube: no staging replaces found in $KUBE_MOD" >&2; exit 1; }
# etcd at the version k8s.io/kubernetes requires (its `// indirect` line).
ETCD_VERSION=$(sed -n 's#^[[:space:]]*go\.etcd\.io/etcd/server/v3 \(v[^ ]*\).*#\1#p' "$KUBE_MOD")
[ -n "$ETCD_VERSION" ] || { echo "build-kube: no go.etcd.io/etcd/server/v3 in $KUBE_MOD" >&2; exit 1; }

{
  echo "module ibbase.local/kubetools"
  echo
  echo "go $(sed -n 's/^go \(.*\)/\1/p' "$KUBE_MOD")"
  echo
  echo "require ("
  echo "	k8s.io/kubernetes $KUBE_VERSION"
  echo "	go.etcd.io/etcd/server/v3 $ETCD_VERSION"
  echo ")"
  echo
  echo "replace ("
  for m in $STAGING; do echo "	$m => $m $STAGING_VERSION"; done
  echo ")"
} >go.mod
# Blank imports keep the main packages in the module graph for `go mod tidy`-less builds.
cat >tools.go <<'EOF'
//go:build tools

package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
EOF

# What `/version` answers (a build outside the repository would say v0.0.0-master).
MINOR=${KUBE_VERSION#v1.}
MINOR=${MINOR%%.*}
LDFLAGS="-s -w"
for v in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  LDFLAGS+=" -X $v.gitVersion=$KUBE_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$MINOR -X $v.gitTreeState=clean"
done

build() {
  local out=$1 pkg=$2
  echo "build-kube: go build $pkg" >&2
  if ! go build -trimpath -ldflags="$LDFLAGS" -o "$BIN/$out.tmp" "$pkg"; then
    echo "build-kube: FAILED to build $out from $pkg (see the go output above)" >&2
    exit 1
  fi
  mv "$BIN/$out.tmp" "$BIN/$out"
}
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
build kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager
build etcd go.etcd.io/etcd/server/v3

echo "$KUBE_VERSION" >"$STAMP"
# The build cache (~3.6 GB) is worth nothing once the binaries exist; the module cache
# (~600 MB, the downloads) stays for a rebuild at another version.
go clean -cache
echo "build-kube: built kube-apiserver, kube-controller-manager ($KUBE_VERSION) and etcd ($ETCD_VERSION) in $(($(date +%s) - start)) s" >&2
echo "$BIN"
