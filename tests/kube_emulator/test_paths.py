"""URL parsing, including the namespace paths that kmock's own parser gets wrong."""

from __future__ import annotations

import pytest

from kube_emulator.paths import ApiPath, parse_api_path


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1", ApiPath(group="", version="v1")),
        ("/apis/example.com", ApiPath(group="example.com")),
        ("/apis/example.com/v1", ApiPath(group="example.com", version="v1")),
        ("/api/v1/namespaces", ApiPath(group="", version="v1", plural="namespaces")),
        (
            "/api/v1/namespaces/team-a",
            ApiPath(group="", version="v1", plural="namespaces", name="team-a"),
        ),
        (
            "/api/v1/namespaces/team-a/status",
            ApiPath(
                group="", version="v1", plural="namespaces", name="team-a", subresource="status"
            ),
        ),
        (
            "/api/v1/namespaces/team-a/secrets",
            ApiPath(group="", version="v1", plural="secrets", namespace="team-a"),
        ),
        (
            "/apis/example.com/v1/namespaces/ns/widgets/w1/status",
            ApiPath(
                group="example.com",
                version="v1",
                plural="widgets",
                namespace="ns",
                name="w1",
                subresource="status",
            ),
        ),
        (
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com",
            ApiPath(
                group="apiextensions.k8s.io",
                version="v1",
                plural="customresourcedefinitions",
                name="widgets.example.com",
            ),
        ),
    ],
)
def test_resource_paths(path: str, expected: ApiPath) -> None:
    assert parse_api_path(path) == expected


@pytest.mark.parametrize("path", ["/", "/api", "/apis", "/version", "/api//v1", "/healthz"])
def test_non_resource_paths(path: str) -> None:
    assert parse_api_path(path) is None
