"""Reports how many generated inputs each property of this directory ran."""

from __future__ import annotations

from typing import Any

from tests.bad_input.support import RAN


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not RAN:
        return
    terminalreporter.section("bad input: generated inputs per property")
    width = max(len(name) for name in RAN)
    for name, count in sorted(RAN.items()):
        terminalreporter.write_line(f"{name:<{width}}  {count:>6}")
