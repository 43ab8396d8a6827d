"""Which resources the emulator serves, and what discovery says about them.

A resource is served per (group, version, plural); objects are stored per (group, plural), so
a CRD with several served versions shows the same objects under each of them, as a real API
server with the ``None`` conversion strategy does. kopf learns everything from discovery
(namespaced, verbs, which ``plural/status`` subresources exist), so the built-ins here carry
the values a real 1.30 cluster reports.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
SUBRESOURCE_VERBS = ("get", "patch", "update")
CRD_GROUP = "apiextensions.k8s.io"
CRD_PLURAL = "customresourcedefinitions"

_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


@dataclass(frozen=True)
class ResourceSpec:
    """Everything the emulator needs to serve one resource in one version."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    singular: str = ""
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: frozenset[str] = frozenset()
    verbs: tuple[str, ...] = ALL_VERBS
    # The version's openAPIV3Schema; None for built-ins, which are not schema-checked.
    schema: Mapping[str, Any] | None = None
    printer_columns: tuple[Mapping[str, Any], ...] = ()
    # Extra field-selector paths beyond metadata.name/metadata.namespace.
    selectable_fields: tuple[str, ...] = ()
    custom: bool = False

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> tuple[str, str]:
        """The storage identity: every version of a resource shares its objects."""
        return (self.group, self.plural)

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources

    @property
    def qualified(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def with_version(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """A shallow copy of a stored object as seen through this version's endpoint."""
        shown = dict(obj)
        shown["apiVersion"] = self.api_version
        return shown


def version_priority(version: str) -> tuple[int, int, int, str]:
    """Kubernetes' version order: GA over beta over alpha, higher numbers first, then by name."""
    match = _VERSION.match(version)
    if match is None:
        return (3, 0, 0, version)
    major, stage, minor = match.groups()
    rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (rank, -int(major), -int(minor or 0), version)


def _core(plural: str, kind: str, **kwargs: Any) -> ResourceSpec:
    return ResourceSpec(group="", version="v1", plural=plural, kind=kind, **kwargs)


BUILTINS: tuple[ResourceSpec, ...] = (
    _core(
        "namespaces",
        "Namespace",
        namespaced=False,
        singular="namespace",
        short_names=("ns",),
        subresources=frozenset({"status"}),
        verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
        selectable_fields=("status.phase",),
    ),
    _core("secrets", "Secret", namespaced=True, singular="secret", selectable_fields=("type",)),
    _core("configmaps", "ConfigMap", namespaced=True, singular="configmap", short_names=("cm",)),
    _core(
        "services",
        "Service",
        namespaced=True,
        singular="service",
        short_names=("svc",),
        categories=("all",),
        subresources=frozenset({"status"}),
    ),
    _core(
        "serviceaccounts",
        "ServiceAccount",
        namespaced=True,
        singular="serviceaccount",
        short_names=("sa",),
    ),
    _core(
        "events",
        "Event",
        namespaced=True,
        singular="event",
        short_names=("ev",),
        selectable_fields=(
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "reason",
            "type",
        ),
    ),
    ResourceSpec(
        group="events.k8s.io",
        version="v1",
        plural="events",
        kind="Event",
        namespaced=True,
        singular="event",
        short_names=("ev",),
        selectable_fields=("regarding.kind", "regarding.name", "regarding.uid", "reason", "type"),
    ),
    ResourceSpec(
        group="networking.k8s.io",
        version="v1",
        plural="ingresses",
        kind="Ingress",
        namespaced=True,
        singular="ingress",
        short_names=("ing",),
        subresources=frozenset({"status"}),
    ),
    ResourceSpec(
        group="coordination.k8s.io",
        version="v1",
        plural="leases",
        kind="Lease",
        namespaced=True,
        singular="lease",
    ),
    ResourceSpec(
        group=CRD_GROUP,
        version="v1",
        plural=CRD_PLURAL,
        kind="CustomResourceDefinition",
        namespaced=False,
        singular="customresourcedefinition",
        short_names=("crd", "crds"),
        categories=("api-extensions",),
        subresources=frozenset({"status"}),
    ),
)


def specs_from_crd(crd: Mapping[str, Any]) -> list[ResourceSpec]:
    """The served versions of a (validated) CustomResourceDefinition, one spec per version."""
    spec = crd["spec"]
    names = spec["names"]
    specs: list[ResourceSpec] = []
    for version in spec["versions"]:
        if not version.get("served", True):
            continue
        subresources = version.get("subresources") or {}
        specs.append(
            ResourceSpec(
                group=spec["group"],
                version=version["name"],
                plural=names["plural"],
                kind=names["kind"],
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                singular=names.get("singular") or names["kind"].lower(),
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                subresources=frozenset({"status"} if "status" in subresources else ()),
                schema=(version.get("schema") or {}).get("openAPIV3Schema"),
                printer_columns=tuple(version.get("additionalPrinterColumns") or ()),
                selectable_fields=tuple(
                    f["jsonPath"].lstrip(".") for f in version.get("selectableFields") or ()
                ),
                custom=True,
            )
        )
    return specs


@dataclass
class ResourceRegistry:
    """The served resources; safe to read from any thread while CRDs come and go."""

    _specs: dict[tuple[str, str, str], ResourceSpec] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, specs: Iterable[ResourceSpec]) -> None:
        with self._lock:
            for spec in specs:
                self._specs[(spec.group, spec.version, spec.plural)] = spec

    def replace_group_resource(
        self, group: str, plural: str, specs: Iterable[ResourceSpec]
    ) -> None:
        """Swap every version of one resource at once (a CRD was created, changed or removed)."""
        with self._lock:
            for key in [k for k in self._specs if (k[0], k[2]) == (group, plural)]:
                del self._specs[key]
            for spec in specs:
                self._specs[(spec.group, spec.version, spec.plural)] = spec

    def all(self) -> list[ResourceSpec]:
        with self._lock:
            return list(self._specs.values())

    def lookup(self, group: str, version: str, plural: str) -> ResourceSpec | None:
        with self._lock:
            return self._specs.get((group, version, plural))

    def in_version(self, group: str, version: str) -> list[ResourceSpec]:
        return sorted(
            (s for s in self.all() if (s.group, s.version) == (group, version)),
            key=lambda s: s.plural,
        )

    def groups(self) -> dict[str, list[str]]:
        """Each named group with its versions, preferred (highest priority) first."""
        versions: dict[str, set[str]] = {}
        for spec in self.all():
            if spec.group:
                versions.setdefault(spec.group, set()).add(spec.version)
        return {g: sorted(v, key=version_priority) for g, v in sorted(versions.items())}

    def preferred(self, group: str, plural: str) -> ResourceSpec | None:
        candidates = [s for s in self.all() if s.group_resource == (group, plural)]
        candidates.sort(key=lambda s: version_priority(s.version))
        return candidates[0] if candidates else None

    def by_kind(self, api_version: str, kind: str) -> ResourceSpec | None:
        for spec in self.all():
            if spec.api_version == api_version and spec.kind == kind:
                return spec
        return None

    def resolve(self, name: str) -> ResourceSpec:
        """Find a resource the way kubectl does: plural, singular, short name or kind, optionally
        qualified with its group (``whatsappchannels.ibbase.io``) or fully (``group/v/plural``)."""
        if name.count("/") == 2:
            group, version, plural = name.split("/")
            found = self.lookup(group, version, plural)
            if found is None:
                raise LookupError(f"the server doesn't have a resource type {name!r}")
            return found
        if "/" in name:  # core "v1/plural"
            version, plural = name.split("/")
            found = self.lookup("", version, plural)
            if found is None:
                raise LookupError(f"the server doesn't have a resource type {name!r}")
            return found
        short, _, group = name.partition(".")
        lowered = short.lower()
        matches = {
            s.group_resource
            for s in self.all()
            if (not group or s.group == group)
            and lowered in {s.plural, s.singular, s.kind.lower(), *s.short_names}
        }
        if not matches:
            raise LookupError(f"the server doesn't have a resource type {name!r}")
        if len(matches) > 1:
            # kubectl prefers the core group when a name is ambiguous (e.g. "events").
            matches = {m for m in matches if m[0] == ""} or matches
        if len(matches) > 1:
            raise LookupError(f"ambiguous resource type {name!r}: {sorted(matches)}")
        group_found, plural_found = matches.pop()
        preferred = self.preferred(group_found, plural_found)
        assert preferred is not None  # it matched just above
        return preferred
