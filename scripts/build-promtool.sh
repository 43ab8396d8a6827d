#!/usr/bin/env bash
# Builds Prometheus' promtool into .tools/promtool/promtool with the local Go toolchain, from
# the Go module proxy only, and only when the pinned version is not there yet (about 6 to 12
# minutes on two cores, the first time). tests/chart
# uses it to check the chart's PrometheusRule (`promtool check rules`, `promtool test rules`).
#
#   scripts/build-promtool.sh                      # idempotent: prints the version when present
#   PROMTOOL_MODULE_VERSION=v0.316.0 scripts/build-promtool.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/.tools/promtool"
# Prometheus 3.x is published as Go module versions v0.3xx.y.
VERSION="${PROMTOOL_MODULE_VERSION:-v0.316.0}"
STAMP="$DEST/.source"
WANT="github.com/prometheus/prometheus/cmd/promtool@$VERSION"

# `go install` stamps no version into the binary: the stamp file says which it is.
if [[ -x "$DEST/promtool" && -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" ]]; then
    echo "promtool: $WANT"
    exit 0
fi
command -v go >/dev/null || {
    echo "build-promtool: the Go toolchain is needed (https://go.dev/dl/)" >&2
    exit 1
}

mkdir -p "$DEST"
echo "build-promtool: go install $WANT" >&2
# Static: the binary runs on any Linux of the same architecture.
GOBIN="$DEST" CGO_ENABLED=0 go install -trimpath "$WANT"
echo "$WANT" >"$STAMP"
echo "promtool: $WANT"
