"""The session's real cluster (tests/kube_real/cluster.py), for the tests of this package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.kube_real.binaries import prebuild
from tests.kube_real.cluster import Cluster, cluster_or_fail


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Build the control plane before any test runs (outside the tests' timeouts)."""
    if any("real_cluster" in getattr(item, "fixturenames", ()) for item in items):
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        prebuild(reporter.write_line if reporter else print)


@pytest.fixture(scope="session")
def real_cluster() -> Iterator[Cluster]:
    with cluster_or_fail() as cluster:
        yield cluster
