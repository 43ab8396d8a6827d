"""Shared by the bad-input tests: one deterministic Hypothesis profile and a tally of how
many generated inputs each property ran (printed at the end of the run by ``conftest``)."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, settings

# Derandomized and without the example database: the same inputs on every run and in CI,
# nothing written to .hypothesis/. No deadline: the machine is shared and loaded.
PROFILE = settings(
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

RAN: Counter[str] = Counter()


def examples(n: int) -> settings:
    return settings(PROFILE, max_examples=n)


def tally(name: str) -> None:
    """Count one generated input run by the property ``name``."""
    RAN[name] += 1
