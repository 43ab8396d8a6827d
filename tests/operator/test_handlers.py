"""kopf's handlers: every one registered under an explicit id, and the change handlers under
the ids kopf derived before, which key the progress annotations on existing channels."""

from __future__ import annotations

from ibbase_operator.handlers import build_registry
from ibbase_operator.kube import KubeConfig
from ibbase_operator.settings import OperatorSettings


def test_handler_ids_are_stable() -> None:
    registry = build_registry(OperatorSettings(), KubeConfig(server="https://kube.test"))
    changing = {
        (h.id, h.reason.value if h.reason else None) for h in registry._changing.get_all_handlers()
    }
    assert changing == {
        ("build_registry.<locals>.reconcile", None),  # resume
        ("build_registry.<locals>.reconcile", "create"),
        ("build_registry.<locals>.reconcile/spec", "update"),
        ("build_registry.<locals>.delete", "delete"),
    }
    assert [h.id for h in registry._spawning.get_all_handlers()] == ["resync"]
    assert {h.id for h in registry._activities.get_all_handlers()} == {"configure", "login"}
