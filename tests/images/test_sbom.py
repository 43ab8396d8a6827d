"""CycloneDX SBOMs, without building an image: scripts/sbom.sh on what uv.lock pins for each
image's extra gives a valid SBOM that names the image's key packages at the lock's versions
and none of another image's. (The SBOMs of the built images themselves are checked in
test_images.py, after scripts/build_images.sh has written them.)"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SBOM = ROOT / "scripts" / "sbom.sh"
# image -> (its extra, packages it must list, packages it must not)
KEY_PACKAGES = {
    "gateway": ("gateway", {"fastapi", "uvicorn", "sqlalchemy", "nats-py"}, {"kopf", "ray"}),
    "operator": ("operator", {"kopf"}, {"fastapi", "ray", "opencv-python-headless"}),
    "ocr": ("ocr", {"ray", "onnxruntime", "tesserocr"}, {"kopf", "sqlalchemy"}),
}


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def components(bom: dict[str, Any]) -> dict[str, str]:
    """name (normalized) -> version."""
    return {normalize(c["name"]): c["version"] for c in bom["components"]}


def locked_versions() -> dict[str, str]:
    lock = (ROOT / "uv.lock").read_text()
    return {
        normalize(name): version
        for name, version in re.findall(r'^name = "([^"]+)"\nversion = "([^"]+)"', lock, re.M)
    }


def check_sbom(bom: dict[str, Any], image: str) -> dict[str, str]:
    """What every SBOM of ours must be; returns its components."""
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"
    found = components(bom)
    _, present, absent = KEY_PACKAGES[image]
    assert present <= set(found), f"{image}: missing {present - set(found)}"
    assert not absent & set(found), f"{image}: carries {absent & set(found)}"
    for c in bom["components"]:
        if normalize(c["name"]) == "ibbase":  # the project itself: a local wheel, not PyPI's
            assert "purl" not in c
        else:
            assert c["purl"].startswith("pkg:pypi/") and c["purl"].endswith(f"@{c['version']}")
    return found


@pytest.mark.parametrize("image", KEY_PACKAGES)
def test_sbom_from_the_lock_lists_the_image_packages(image: str, tmp_path: Path) -> None:
    out = tmp_path / f"{image}.cdx.json"
    extra = KEY_PACKAGES[image][0]
    result = subprocess.run(
        ["bash", str(SBOM), "lock", extra, str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    bom = json.loads(out.read_text())
    found = check_sbom(bom, image)
    assert bom["metadata"]["component"]["name"] == f"ibbase[{extra}]"
    # Every version is the lock's own.
    locked = locked_versions()
    assert {name: locked.get(name) for name in found} == found
    print(f"\nSBOM of ibbase[{extra}] from uv.lock: {len(found)} components")
