"""The images really build from images/Dockerfile (scripts/build_images.sh: buildah, chroot
isolation, no Docker daemon, bases made locally) and really run: as non-root, without
compilers, the gateway answering Meta's verification challenge exactly as the chart's
`helm test` pod asks it, the OCR image reading a card with its own tesseract data."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ibbase_dev.nats_server import NatsServer, free_port
from ocr_cluster.reader import CardReader
from tests.cardgen.known import OCR_CARD
from tests.chart.chart import NEWEST_KUBE, find, render
from tests.images.test_sbom import check_sbom, normalize
from tests.operator.test_cli import exercise_operator

ROOT = Path(__file__).resolve().parents[2]
TAG = os.environ.get("IBBASE_IMAGE_TAG", "dev")
TARGETS = ("gateway", "operator", "ocr")
# The image's user: the chart runs every pod as 10001 anyway; the Ray image keeps its own.
USERS = {"gateway": "10001:10001", "operator": "10001:10001", "ocr": "1000"}

pytestmark = pytest.mark.timeout(1800)


def image(target: str) -> str:
    return f"localhost/ibbase-{target}:{TAG}"


# This sandbox denies raising resource limits (no CAP_SYS_RESOURCE) and runs cgroups in
# hybrid mode, so containers run under runc with limits no higher than the host's.
_NOFILE = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
RUN_LIMITS = ("--runtime", "runc", "--ulimit", f"nofile={_NOFILE}:{_NOFILE}",
              "--ulimit", "nproc=4096:4096")  # fmt: skip


def podman(
    *args: str, timeout: float = 120, check: bool = True
) -> subprocess.CompletedProcess[str]:
    if args[0] == "run":
        args = ("run", *RUN_LIMITS, *args[1:])
    result = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"podman {' '.join(args[:3])}… failed:\n{result.stderr[-3000:]}")
    return result


@pytest.fixture(scope="module")
def built() -> dict[str, dict]:
    """Builds (or finds up to date, thanks to buildah's layer cache) the three images."""
    if os.geteuid() != 0 and shutil.which("buildah") is None:
        pytest.skip("building images needs root (to install buildah) or buildah installed")
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "build_images.sh")],
        check=True,
        timeout=1700,
        env={**os.environ, "IBBASE_IMAGE_TAG": TAG},
    )
    return {t: json.loads(podman("image", "inspect", image(t)).stdout)[0] for t in TARGETS}


@pytest.mark.parametrize("target", TARGETS)
def test_image_is_non_root_without_build_tools(built: dict[str, dict], target: str) -> None:
    config = built[target]["Config"]
    assert config.get("User") == USERS[target]
    size_mb = built[target]["Size"] / 1e6
    print(f"{image(target)}: {size_mb:.0f} MB")
    probe = "for t in gcc cc c++ g++ make ld as; do command -v $t; done; id -u"
    out = podman("run", "--rm", "--network", "none", image(target), "bash", "-c", probe)
    *tools, uid = out.stdout.split()
    assert tools == [], f"build tools left in {target}: {tools}"
    assert uid != "0"


def test_images_have_their_entrypoints(built: dict[str, dict]) -> None:
    assert built["gateway"]["Config"]["Cmd"] == ["ibbase", "gateway"]
    assert built["operator"]["Config"]["Cmd"][:2] == ["ibbase", "operator"]
    # No pip in the app images' environment: nothing installs at run time.
    for target in ("gateway", "operator"):
        probe = "command -v pip pip3 uv || true; ibbase --help >/dev/null && echo ok"
        out = podman("run", "--rm", "--network", "none", image(target), "bash", "-c", probe)
        assert out.stdout.split() == ["ok"], out.stdout


# What each image must not carry: the development stand-ins and test fakes everywhere, and
# in the operator image the card reader's and the gateway's stacks too.
ABSENT = {
    "gateway": ("graph_sandbox", "kube_emulator", "ibbase_dev", "kmock", "trustme", "ray"),
    "operator": ("graph_sandbox", "kube_emulator", "ibbase_dev", "kmock", "trustme", "ray",
                 "cv2", "onnxruntime", "tesserocr", "fastapi", "sqlalchemy"),
    "ocr": ("graph_sandbox", "kube_emulator", "ibbase_dev", "kmock", "trustme"),
}  # fmt: skip


@pytest.mark.parametrize("target", TARGETS)
def test_images_carry_no_dev_tools(built: dict[str, dict], target: str) -> None:
    probe = (
        "import importlib.util as u; "
        f"print(' '.join(m for m in {ABSENT[target]!r} if u.find_spec(m)))"
    )
    out = podman("run", "--rm", "--network", "none", image(target), "python", "-c", probe)
    assert out.stdout.split() == [], f"{target} carries {out.stdout.strip()}"
    if target != "ocr":
        dev = podman("run", "--rm", "--network", "none", image(target), "ibbase", "up", check=False)
        assert dev.returncode == 2
        assert "development command" in dev.stderr


async def test_operator_image_reconciles_and_stops_on_sigterm(
    built: dict[str, dict], tmp_path: Path
) -> None:
    """The operator's process test (tests/operator/test_cli.py), run from its image."""

    def argv(kubeconfig: Path, env: dict[str, str]) -> list[str]:
        variables = [arg for name, value in env.items() for arg in ("-e", f"{name}={value}")]
        return [
            "podman", "run", "--rm", *RUN_LIMITS, "--network", "host", "--read-only",
            "--cap-drop", "ALL", "-v", f"{kubeconfig}:/kube/config:ro", *variables,
            image("operator"), "ibbase", "operator", "-n", "crm", "--kubeconfig", "/kube/config",
        ]  # fmt: skip

    await exercise_operator(tmp_path, argv)


@pytest.fixture
def gateway_container(built: dict[str, dict], tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The gateway image on the host network, read-only root, against a real nats-server."""
    nats = NatsServer(tmp_path / "nats")
    nats.start()
    port, token, name = free_port(), f"vt-{uuid.uuid4().hex}", f"ibbase-test-{uuid.uuid4().hex[:8]}"
    started = podman(
        "run", "--detach", "--name", name, "--network", "host", "--read-only",
        "--tmpfs", "/tmp", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        "-e", "IBBASE_ENV=dev", "-e", f"IBBASE_PORT={port}", "-e", "IBBASE_HOST=127.0.0.1",
        "-e", f"NATS_URL={nats.url}", "-e", "DATABASE_URL=sqlite:////tmp/ibbase.db",
        "-e", f"WHATSAPP_VERIFY_TOKEN={token}",
        image("gateway"), check=False,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        assert started.returncode == 0, started.stderr[-3000:]
        deadline = time.monotonic() + 90
        while not _answers(f"{url}/healthz"):
            assert time.monotonic() < deadline, podman("logs", name, check=False).stderr[-3000:]
            time.sleep(0.5)
        yield url, token
    finally:
        logs = podman("logs", name, check=False)
        podman("rm", "--force", name, check=False)
        nats.stop()
        assert token not in logs.stdout + logs.stderr, "the verify token was logged"


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_gateway_image_answers_the_helm_test_challenge(
    gateway_container: tuple[str, str],
) -> None:
    url, token = gateway_container
    objs = render(
        "defaults", NEWEST_KUBE, "--set", "whatsapp.existingSecret=wa", "--set-string",
        "whatsapp.phoneNumberId=100000000000001",
    )  # fmt: skip
    pod = find(objs, "Pod", "ibbase-test-webhook-challenge")
    test = pod["spec"]["containers"][0]
    out = podman(
        "run", "--rm", "--network", "host", "--read-only", "--cap-drop", "ALL",
        "-e", f"GATEWAY_URL={url}", "-e", f"VERIFY_TOKEN={token}",
        image("gateway"), *test["command"], *test["args"],
    )  # fmt: skip
    print(out.stdout)
    assert out.stdout.splitlines() == [
        "ok: a wrong verify token is refused (403)",
        "ok: the challenge was echoed",
    ]


def test_ocr_image_reads_a_card_like_the_host(built: dict[str, dict], tmp_path: Path) -> None:
    card = OCR_CARD.write(tmp_path)
    card.chmod(0o644)  # read by the image's own user, whatever the umask
    script = (
        "import json, sys; from ocr_cluster.reader import CardReader; "
        "r = CardReader(pool_size=1); "
        "print(json.dumps(r.read(open('/card.jpg', 'rb').read()).to_dict()))"
    )
    out = podman(
        "run", "--rm", "--network", "none", "--read-only", "--tmpfs", "/tmp",
        "-v", f"{card}:/card.jpg:ro,Z", image("ocr"), "python", "-c", script,
        timeout=300,
    )  # fmt: skip
    in_image = json.loads(out.stdout.strip().splitlines()[-1])["contact"]
    reader = CardReader(pool_size=1)
    try:
        on_host = reader.read(card.read_bytes()).to_dict()["contact"]
    finally:
        reader.close()
    assert in_image == on_host
    assert set(OCR_CARD.truth["phones"]) & set(in_image["phones"])


@pytest.mark.parametrize("target", TARGETS)
def test_image_sbom_is_what_the_image_installed(
    built: dict[str, dict[str, Any]], target: str
) -> None:
    """scripts/build_images.sh wrote a CycloneDX SBOM of each image (scripts/sbom.sh, run in
    the image against its own Python): it names the image and its id, lists the image's key
    packages and none of another's, and is exactly the set of distributions installed there."""
    bom = json.loads((ROOT / ".run" / "images" / f"{target}.cdx.json").read_text())
    found = check_sbom(bom, target)
    subject = bom["metadata"]["component"]
    assert (subject["name"], subject["version"]) == (image(target), built[target]["Id"])
    probe = (
        "import importlib.metadata as m, json; "
        "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
    )
    out = podman("run", "--rm", "--network", "none", image(target), "python", "-c", probe)
    installed = {normalize(name): v for name, v in json.loads(out.stdout).items()}
    assert found == installed
    print(f"{image(target)}: SBOM of {len(found)} components")


def test_bases_are_recorded_by_content_digest(built: dict[str, dict[str, Any]]) -> None:
    """.run/images/bases.txt: each base the images were built FROM, by image id."""
    lines = [
        line.split(maxsplit=2)
        for line in (ROOT / ".run" / "images" / "bases.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert len(lines) == 2
    for ref, digest, *_ in lines:
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest), ref
        inspected = podman("image", "inspect", "--format", "{{.Id}}", ref).stdout.strip()
        assert digest == f"sha256:{inspected}"
