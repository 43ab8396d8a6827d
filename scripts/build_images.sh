#!/usr/bin/env bash
# `make images`: build the gateway, operator and OCR images from images/Dockerfile without a
# Docker daemon (buildah, chroot isolation) and list their sizes.
#
# No registry can be pulled from here, so the two bases are made locally: BASE_IMAGE from
# Debian bookworm by debootstrap + `podman import` (what python:3.11-slim-bookworm gives
# elsewhere), RAY_IMAGE from images/ray-base.Dockerfile on it (what rayproject/ray gives).
# Set BASE_IMAGE / RAY_IMAGE to use real ones instead (best as name@sha256:…, pinned);
# IBBASE_IMAGE_TAG names the tag.
#
# Bases pinned by content: each base is resolved once to its image id (the sha256 of its
# config, which names its layers) and every image of the run is built FROM that id, so a base
# re-made or re-tagged meanwhile cannot slip in. A debootstrapped base cannot be pinned to a
# registry digest (it has none, and each debootstrap differs); what identifies it is that id
# and the date of the Debian release it was made from (the label io.ibbase.debian-release).
# Both go to .run/images/bases.txt. Then a CycloneDX SBOM of each image, from what it has
# installed (scripts/sbom.sh): .run/images/<target>.cdx.json.
set -euo pipefail
cd "$(dirname "$0")/.."

TAG=${IBBASE_IMAGE_TAG:-dev}
RAY_VERSION=$(sed -n 's/.*"ray\[serve\]==\([0-9.]*\)".*/\1/p' pyproject.toml)
BASE_IMAGE=${BASE_IMAGE:-localhost/ibbase-base:bookworm}
RAY_IMAGE=${RAY_IMAGE:-localhost/ibbase-ray-base:$RAY_VERSION}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
APT_PACKAGES=(buildah podman debootstrap runc uidmap fuse-overlayfs)

source scripts/apt.sh
ensure_apt_packages "${APT_PACKAGES[@]}"

# A proxy that intercepts TLS needs its CA inside the build; it goes in as a build secret.
secret=()
for ca in "${BUILD_CA:-}" /etc/ssl/certs/ca-certificates.crt; do
  if [ -n "$ca" ] && [ -s "$ca" ]; then secret=(--secret "id=build-ca,src=$ca"); break; fi
done
bud=(buildah bud --isolation chroot --layers --quiet "${secret[@]}")

if [ "$BASE_IMAGE" = localhost/ibbase-base:bookworm ] && ! podman image exists "$BASE_IMAGE"; then
  rootfs=$(mktemp -d /var/tmp/ibbase-rootfs.XXXXXX)
  trap 'rm -rf "$rootfs"' EXIT
  echo "Making $BASE_IMAGE with debootstrap (Debian bookworm, minbase, python3)"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    bookworm "$rootfs" "$MIRROR" >"$rootfs.log" 2>&1 || { tail -20 "$rootfs.log" >&2; exit 1; }
  rm -f "$rootfs.log"
  released=$(sed -n 's/^Date: //p' "$rootfs"/var/lib/apt/lists/*Release 2>/dev/null | head -n 1)
  cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb ${MIRROR%/debian}/debian-security bookworm-security main
SOURCES
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["python3"]' \
    --change "LABEL io.ibbase.debian-release=\"bookworm ${released:-unknown}\"" \
    - "$BASE_IMAGE" >/dev/null
fi

# The image id of a base, pulled first when it is a registry's.
pin() {
  podman image exists "$1" || podman pull --quiet "$1" >/dev/null
  podman image inspect --format '{{.Id}}' "$1"
}
BASE_ID=$(pin "$BASE_IMAGE")

if [ "$RAY_IMAGE" = "localhost/ibbase-ray-base:$RAY_VERSION" ] && ! podman image exists "$RAY_IMAGE"; then
  echo "Building $RAY_IMAGE (stand-in for rayproject/ray:$RAY_VERSION-py311-cpu)"
  "${bud[@]}" --build-arg "BASE_IMAGE=$BASE_ID" --build-arg "RAY_VERSION=$RAY_VERSION" \
    -f images/ray-base.Dockerfile -t "$RAY_IMAGE" images >/dev/null
fi

RAY_ID=$(pin "$RAY_IMAGE")
mkdir -p .run/images
{
  echo "# The bases of the images tagged $TAG: name, image id (sha256 of the config), label."
  for ref in "$BASE_IMAGE" "$RAY_IMAGE"; do
    echo "$ref sha256:$(pin "$ref") $(podman image inspect --format \
      '{{index .Labels "io.ibbase.debian-release"}}' "$ref")"
  done
} >.run/images/bases.txt

for target in gateway operator ocr; do
  echo "Building localhost/ibbase-$target:$TAG"
  "${bud[@]}" --build-arg "BASE_IMAGE=$BASE_ID" --build-arg "RAY_IMAGE=$RAY_ID" \
    --target "$target" -f images/Dockerfile -t "localhost/ibbase-$target:$TAG" . >/dev/null
done
for target in gateway operator ocr; do
  bash scripts/sbom.sh image "localhost/ibbase-$target:$TAG" ".run/images/$target.cdx.json"
done
podman images --filter "reference=localhost/ibbase-*" \
  --format '{{.Repository}}:{{.Tag}}  {{.Size}}'
