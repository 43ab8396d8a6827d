"""Kubernetes API URL paths, parsed the apiserver's way.

kmock's own parser cannot be used here: it raises on ``/api/v1/namespaces`` and reads
``/api/v1/namespaces/foo`` as "namespace foo" rather than "the Namespace named foo", so
namespaces could be neither listed nor fetched.
"""

from __future__ import annotations

from dataclasses import dataclass

# Subresources of a Namespace, which would otherwise read as resources inside it.
_NAMESPACE_SUBRESOURCES = ("status", "finalize")


@dataclass(frozen=True)
class ApiPath:
    group: str
    version: str | None = None  # None for a group's own discovery document (/apis/{group})
    plural: str | None = None  # None for discovery (/api/v1, /apis/{group}/{version})
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None


def parse_api_path(path: str) -> ApiPath | None:
    """The parts of a resource or discovery path; None for non-API paths (/, /api, /version)."""
    parts = path.strip("/").split("/")
    if any(not part for part in parts):
        return None
    if parts[0] == "api" and len(parts) >= 2:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[0] == "apis" and len(parts) >= 2:
        group = parts[1]
        if len(parts) == 2:
            return ApiPath(group=group)
        version, rest = parts[2], parts[3:]
    else:
        return None
    if not rest:
        return ApiPath(group=group, version=version)

    namespace = None
    is_namespace_subresource = group == "" and len(rest) == 3 and rest[2] in _NAMESPACE_SUBRESOURCES
    if rest[0] == "namespaces" and len(rest) >= 3 and not is_namespace_subresource:
        namespace, rest = rest[1], rest[2:]
    return ApiPath(
        group=group,
        version=version,
        plural=rest[0],
        namespace=namespace,
        name=rest[1] if len(rest) > 1 else None,
        subresource="/".join(rest[2:]) or None,
    )
