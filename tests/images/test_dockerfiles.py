"""Static checks of the image sources, fast enough for every run: hadolint at warning level,
the bases as build arguments, non-root final stages, and a .dockerignore that keeps the
build context to what the Dockerfile copies."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILES = sorted((ROOT / "images").glob("*Dockerfile"))
HADOLINT = Path(sys.executable).parent / "hadolint"


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint_passes_at_warning(dockerfile: Path) -> None:
    result = subprocess.run(
        [str(HADOLINT), "--no-color", "--failure-threshold", "warning", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def stages(text: str) -> dict[str, list[str]]:
    """stage name -> its instructions (continuation lines joined)."""
    out: dict[str, list[str]] = {}
    current = ""
    for line in re.sub(r"\\\n\s*", " ", text).splitlines():
        if m := re.match(r"FROM (\S+)(?: AS (\S+))?$", line):
            current = m.group(2) or m.group(1)
            out[current] = [line]
        elif current and line.strip() and not line.startswith("#"):
            out[current].append(line.strip())
    return out


def test_bases_are_build_arguments_and_final_stages_run_as_non_root() -> None:
    text = (ROOT / "images" / "Dockerfile").read_text()
    assert re.search(r"^ARG BASE_IMAGE=\S+", text, re.M)
    assert re.search(r"^ARG RAY_IMAGE=\S+", text, re.M)
    found = stages(text)
    for target in ("gateway", "operator", "ocr", "ocr-gpu"):
        chain, users = target, []
        while chain in found:  # follow FROM <stage> up to the base
            users = [i for i in found[chain] if i.startswith("USER ")] + users
            chain = found[chain][0].split()[1]
        assert chain.startswith("${"), f"{target} must start from a build-argument base"
        assert users and users[-1] not in ("USER 0", "USER root"), f"{target} runs as root"
    # Nothing compiles in the final stages: compilers only ever appear in none of them.
    assert not re.search(r"\b(gcc|g\+\+|build-essential|python3-dev)\b", text)


def test_dockerignore_keeps_the_context_to_what_is_copied() -> None:
    ignore = (ROOT / ".dockerignore").read_text().split()
    assert "*" in ignore  # everything out, then what is copied back in
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    text = (ROOT / "images" / "Dockerfile").read_text()
    copied = {
        source
        for sources in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.M)
        for source in sources.split()
    }
    assert copied and copied <= allowed, copied - allowed
    for never in (".venv", ".tools", ".run", ".git", "tests"):
        assert never not in allowed
