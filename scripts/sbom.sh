#!/usr/bin/env bash
# CycloneDX SBOMs (JSON, spec 1.6) of ibbase's images, by cyclonedx-bom from its own tool
# venv, .tools/cyclonedx/ (pinned below; never in .venv).
#
#   scripts/sbom.sh image IMAGE OUT   # what IMAGE really has installed (podman, built image)
#   scripts/sbom.sh lock EXTRA OUT    # what uv.lock pins for one extra (no image needed)
#
# `image`: `cyclonedx-py environment` runs inside the image, against the image's own Python
# (its venv for the gateway and the operator, the Ray image's Python for ocr), so the SBOM
# lists what was installed there, versions and licences from each package's metadata. The
# tool's packages are mounted read-only from the host and reach only the tool's process: the
# image's interpreter, whose sys.path is what gets listed, never sees them. No network.
# scripts/build_images.sh calls it for every image it builds: .run/images/<target>.cdx.json.
#
# `lock`: the same generator on `uv export --extra EXTRA` (the dependencies alone, without
# the project): what an image built from the lock would hold, before building it.
set -euo pipefail
cd "$(dirname "$0")/.."

CYCLONEDX_VERSION=7.5.0
TOOL=.tools/cyclonedx
UV=.tools/uv/bin/uv

fail() {
  echo "sbom: $*" >&2
  exit 1
}

[ $# -eq 3 ] || fail "usage: $0 image IMAGE OUT | lock EXTRA OUT"
mode=$1 what=$2 out=$3

source scripts/tool_venv.sh
ensure_tool_venv "$TOOL" "cyclonedx-bom==$CYCLONEDX_VERSION" ||
  fail "could not install cyclonedx-bom $CYCLONEDX_VERSION"
mkdir -p "$(dirname "$out")"
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.txt"' EXIT

case "$mode" in
  image)
    command -v podman >/dev/null || fail "podman is needed (scripts/build_images.sh installs it)"
    podman image exists "$what" || fail "no image $what (build it first: make images)"
    site=$("$TOOL/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    # The image's `python` (first on its PATH) is both the tool's interpreter and the one
    # described; it must be a 3.11 like the tool venv's, which every image has.
    run=(
      "import sys; sys.path.insert(0, '/opt/cyclonedx');"
      "from cyclonedx_py._internal.cli import run;"
      "run(argv=['environment', '--spec-version', '1.6', '--output-format', 'JSON',"
      " '--output-reproducible', sys.executable])"
    )
    # Limits no higher than the host's: a sandbox without CAP_SYS_RESOURCE refuses podman's
    # defaults (as tests/images/test_images.py does).
    nofile=$(ulimit -Hn)
    podman run --rm --network none --ulimit "nofile=$nofile:$nofile" --ulimit nproc=4096:4096 \
      --entrypoint python \
      -v "$site:/opt/cyclonedx:ro" "$what" -c "${run[*]}" >"$tmp" ||
      fail "cyclonedx-py environment failed inside $what"
    subject=$what
    version=$(podman image inspect --format '{{.Id}}' "$what")
    ;;
  lock)
    [ -x "$UV" ] || fail "$UV is missing: run scripts/install.sh (make install) first"
    "$UV" export --frozen --no-dev --extra "$what" --no-emit-project --no-hashes --quiet \
      --output-file "$tmp.txt" || fail "uv export --extra $what failed"
    "$TOOL/bin/cyclonedx-py" requirements --spec-version 1.6 --output-format JSON \
      --output-reproducible --mc-type application "$tmp.txt" >"$tmp" ||
      fail "cyclonedx-py requirements failed"
    subject="ibbase[$what]"
    version="uv.lock $(sha256sum uv.lock | cut -c1-12)"
    ;;
  *) fail "unknown mode '$mode' (image or lock)" ;;
esac

# The SBOM's subject, which cyclonedx-py leaves out without a pyproject: the image and its
# id, or the extra and the lock it was exported from.
"$TOOL/bin/python" - "$tmp" "$out" "$subject" "$version" "$mode" <<'PY'
import json
import sys

src, out, subject, version, mode = sys.argv[1:]
bom = json.load(open(src))
bom.setdefault("metadata", {})["component"] = {
    "type": "container" if mode == "image" else "application",
    "bom-ref": "root-component",
    "name": subject,
    "version": version,
}
if not bom.get("components"):
    sys.exit(f"sbom: {subject}: no components found")
json.dump(bom, open(out, "w"), indent=2, sort_keys=True)
print(f"sbom: {out}: {len(bom['components'])} components of {subject}", file=sys.stderr)
PY
