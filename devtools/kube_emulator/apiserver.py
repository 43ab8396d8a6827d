"""The API machinery: what create, update and delete mean, independent of HTTP.

These are the rules an operator's correctness depends on, each as the apiserver applies it:

- server-owned metadata (uid, creationTimestamp, resourceVersion, generation,
  deletionTimestamp) cannot be set by clients; ``generation`` moves only when something
  outside ``metadata`` (and outside ``status`` when status is a subresource) changes;
- a write that changes nothing is not a write: same resourceVersion, no watch event (kopf
  would otherwise react to its own no-op patches forever);
- a ``metadata.resourceVersion`` in a write is a precondition (409 Conflict when stale);
- with a status subresource, the main endpoint ignores ``.status`` and ``/status`` ignores
  everything else;
- deletion with finalizers only sets ``deletionTimestamp``; removing the last finalizer then
  removes the object; removal garbage-collects dependents whose owners are all gone, ends a
  terminating namespace once it is empty, and ends a terminating CRD once its objects are gone.

Everything runs under the store's lock, so any thread may call in.
"""

from __future__ import annotations

import builtins
import copy
import datetime
import secrets
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from kube_emulator import crds, envelope, errors, objectmeta, patching
from kube_emulator.resources import (
    CRD_GROUP,
    CRD_PLURAL,
    ResourceRegistry,
    ResourceSpec,
    specs_from_crd,
)
from kube_emulator.schema import admit
from kube_emulator.selectors import Selection
from kube_emulator.store import ObjectKey, ObjectStore

SERVER_OWNED = (
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
)
NAMESPACE_FINALIZER = "kubernetes"
# generateName suffixes use the apiserver's alphabet: no vowels, no look-alike digits.
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def utc_now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiServer:
    def __init__(
        self,
        registry: ResourceRegistry,
        store: ObjectStore,
        clock: Callable[[], str] = utc_now,
    ) -> None:
        self.registry = registry
        self.store = store
        self._now = clock

    # --- reads -----------------------------------------------------------------------------

    def get(self, spec: ResourceSpec, namespace: str | None, name: str) -> dict[str, Any]:
        obj = self.store.get(self._key(spec, namespace, name))
        if obj is None:
            raise errors.not_found(spec.plural, name, spec.group)
        return spec.with_version(obj)

    def list(
        self, spec: ResourceSpec, namespace: str | None, selection: Selection
    ) -> tuple[list[dict[str, Any]], int]:
        with self.store.lock:
            found = self.store.items(
                spec.group, spec.plural, namespace if spec.namespaced else None
            )
            resource_version = self.store.resource_version
        return [spec.with_version(o) for o in found if selection.matches(o)], resource_version

    # --- writes ----------------------------------------------------------------------------

    def create(
        self, spec: ResourceSpec, namespace: str | None, body: Any, *, dry_run: bool = False
    ) -> dict[str, Any]:
        obj = envelope.decode(spec, body)
        meta = obj["metadata"]
        with self.store.lock:
            namespace = envelope.place(spec, namespace, meta)
            if meta.get("resourceVersion"):
                raise errors.bad_request(
                    "resourceVersion should not be set on objects to be created"
                )
            if not meta.get("name") and not meta.get("generateName"):
                required = "Required value: name or generateName is required"
                cause = errors.Cause("metadata.name", required, "FieldValueRequired")
                raise errors.invalid(spec.kind, "", spec.group, [cause])
            meta["name"] = meta.get("name") or self._generated_name(
                spec, namespace, meta["generateName"]
            )
            for field in (*SERVER_OWNED, "selfLink", "managedFields"):
                meta.pop(field, None)
            meta.update(uid=str(uuid.uuid4()), creationTimestamp=self._now(), generation=1)
            if spec.has_status:
                obj.pop("status", None)
            self._prepare_builtin(spec, obj)
            self._admit(spec, obj, subresource=None, new=True)
            self._check_placement(spec, namespace, meta["name"])
            key = self._key(spec, namespace, meta["name"])
            if self.store.get(key) is not None:
                raise errors.already_exists(spec.plural, meta["name"], spec.group)
            if dry_run:
                return spec.with_version(obj)
            stored = self.store.write(key, obj, "ADDED")
            self._after_write(key)
            return spec.with_version(stored)

    def replace(
        self,
        spec: ResourceSpec,
        namespace: str | None,
        name: str,
        body: Any,
        *,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        with self.store.lock:
            key, current = self._existing(spec, namespace, name)
            return self._update(spec, key, current, body, subresource=subresource, dry_run=dry_run)

    def patch(
        self,
        spec: ResourceSpec,
        namespace: str | None,
        name: str,
        content_type: str,
        patch: Any,
        *,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        with self.store.lock:
            key, current = self._existing(spec, namespace, name)
            candidate = patching.apply_patch(
                content_type, spec.with_version(current), patch, custom=spec.custom
            )
            return self._update(
                spec, key, current, candidate, subresource=subresource, dry_run=dry_run
            )

    def delete(
        self,
        spec: ResourceSpec,
        namespace: str | None,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """Delete one object; the response is the object (still there or in its last state)."""
        with self.store.lock:
            key, current = self._existing(spec, namespace, name)
            preconditions = (options or {}).get("preconditions") or {}
            meta = current["metadata"]
            if preconditions.get("uid") and preconditions["uid"] != meta["uid"]:
                why = (
                    f"Precondition failed: UID in precondition: {preconditions['uid']}, "
                    f"UID in object meta: {meta['uid']}"
                )
                raise errors.conflict(spec.plural, name, spec.group, why)
            wanted_rv = preconditions.get("resourceVersion")
            if wanted_rv and wanted_rv != meta["resourceVersion"]:
                raise errors.stale(spec.plural, name, spec.group)
            if dry_run:
                return spec.with_version(current)
            return spec.with_version(self._delete(key))

    def delete_collection(
        self,
        spec: ResourceSpec,
        namespace: str | None,
        selection: Selection,
        *,
        dry_run: bool = False,
    ) -> builtins.list[dict[str, Any]]:
        with self.store.lock:
            doomed, _ = self.list(spec, namespace, selection)
            if dry_run:
                return doomed
            results = []
            for obj in doomed:
                key = self._key(spec, obj["metadata"].get("namespace"), obj["metadata"]["name"])
                if self.store.get(key) is not None:
                    results.append(spec.with_version(self._delete(key)))
            return results

    # --- the update path ---------------------------------------------------------------------

    def _update(
        self,
        spec: ResourceSpec,
        key: ObjectKey,
        current: dict[str, Any],
        body: Any,
        *,
        subresource: str | None,
        dry_run: bool,
    ) -> dict[str, Any]:
        candidate = envelope.decode(spec, body)
        meta = candidate["metadata"]
        name = key[3]
        if meta.setdefault("name", name) != name:
            raise errors.bad_request(
                f"the name of the object ({meta['name']}) does not match the name on the URL "
                f"({name})"
            )
        envelope.place(spec, key[2], meta)
        old_meta = current["metadata"]
        if meta.get("resourceVersion") and meta["resourceVersion"] != old_meta["resourceVersion"]:
            raise errors.stale(spec.plural, name, spec.group)
        if meta.get("uid") and meta["uid"] != old_meta["uid"]:
            why = (
                f"Precondition failed: UID in precondition: {meta['uid']}, "
                f"UID in object meta: {old_meta['uid']}"
            )
            raise errors.conflict(spec.plural, name, spec.group, why)

        if subresource == "status":
            new = copy.deepcopy(current)
            _carry(candidate, new, "status")
        else:
            new = candidate
            for field in (*SERVER_OWNED, "selfLink", "managedFields"):
                _carry(old_meta, meta, field)
            meta["resourceVersion"] = old_meta["resourceVersion"]
            new["apiVersion"] = current["apiVersion"]
            if spec.has_status:
                _carry(current, new, "status")

        if old_meta.get("deletionTimestamp"):
            added = set(new["metadata"].get("finalizers") or []) - set(
                old_meta.get("finalizers") or []
            )
            if added:
                cause = errors.Cause(
                    "metadata.finalizers",
                    f"Forbidden: no new finalizers can be added if the object is being deleted, "
                    f"found new finalizers {sorted(added)}",
                    "FieldValueForbidden",
                )
                raise errors.invalid(spec.kind, name, spec.group, [cause])
        self._admit(spec, new, subresource=subresource, new=False)
        if _generation_part(new, spec) != _generation_part(current, spec):
            new["metadata"]["generation"] = old_meta.get("generation", 0) + 1
        if new == current:
            return spec.with_version(current)
        if dry_run:
            return spec.with_version(new)
        return spec.with_version(self._write_update(key, new))

    def _write_update(self, key: ObjectKey, new: dict[str, Any]) -> dict[str, Any]:
        """Store an update; an object being deleted whose last finalizer went is removed."""
        stored = self.store.write(key, new, "MODIFIED")
        meta = stored["metadata"]
        if (
            meta.get("deletionTimestamp")
            and not meta.get("finalizers")
            and not _spec_finalizers(stored, key)
        ):
            return self._remove(key)
        self._after_write(key)
        return stored

    # --- deletion, garbage collection, terminating namespaces and CRDs ----------------------

    def _delete(self, key: ObjectKey) -> dict[str, Any]:
        current = self.store.get(key)
        assert current is not None  # callers look it up under the same lock
        meta = current["metadata"]
        if meta.get("deletionTimestamp"):
            return current
        if not meta.get("finalizers") and not _spec_finalizers(current, key):
            return self._remove(key)
        new = copy.deepcopy(current)
        new["metadata"].update(
            deletionTimestamp=self._now(),
            deletionGracePeriodSeconds=0,
            generation=meta.get("generation", 0) + 1,
        )
        if key[:2] == ("", "namespaces"):
            new.setdefault("status", {})["phase"] = "Terminating"
        stored = self.store.write(key, new, "MODIFIED")
        self._after_write(key)
        return self.store.get(key) or stored

    def _remove(self, key: ObjectKey) -> dict[str, Any]:
        final = self.store.remove(key)
        group, plural, namespace, _ = key
        if (group, plural) == (CRD_GROUP, CRD_PLURAL):
            served = final["spec"]
            self.registry.replace_group_resource(served["group"], served["names"]["plural"], [])
        self._collect_dependents(final["metadata"]["uid"])
        if namespace is not None:
            self._reap_namespace(namespace)
        self._reap_crd(f"{plural}.{group}")
        return final

    def _collect_dependents(self, owner_uid: str) -> None:
        """Background cascading deletion: dependents whose owners are all gone are deleted."""
        for key in self.store.keys():
            obj = self.store.get(key)
            if obj is None or obj["metadata"].get("deletionTimestamp"):
                continue
            refs = obj["metadata"].get("ownerReferences") or []
            if any(ref.get("uid") == owner_uid for ref in refs) and all(
                self.store.key_of_uid(ref.get("uid", "")) is None for ref in refs
            ):
                self._delete(key)

    def _reap_namespace(self, namespace: str) -> None:
        key: ObjectKey = ("", "namespaces", None, namespace)
        ns = self.store.get(key)
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return
        if any(k[2] == namespace for k in self.store.keys()):
            return
        new = copy.deepcopy(ns)
        new["spec"]["finalizers"] = [
            f for f in new["spec"].get("finalizers", []) if f != NAMESPACE_FINALIZER
        ]
        self._write_update(key, new)

    def _reap_crd(self, crd_name: str) -> None:
        key: ObjectKey = (CRD_GROUP, CRD_PLURAL, None, crd_name)
        crd = self.store.get(key)
        if crd is None or not crd["metadata"].get("deletionTimestamp"):
            return
        served = crd["spec"]
        if self.store.items(served["group"], served["names"]["plural"]):
            return
        finalizers = crd["metadata"].get("finalizers") or []
        if crds.CLEANUP_FINALIZER in finalizers:
            new = copy.deepcopy(crd)
            new["metadata"]["finalizers"] = [f for f in finalizers if f != crds.CLEANUP_FINALIZER]
            self._write_update(key, new)

    def _after_write(self, key: ObjectKey) -> None:
        """The controllers that react at once: garbage collection of orphans, CRD
        establishment, namespace and CRD termination."""
        obj = self.store.get(key)
        if obj is None:
            return
        terminating = bool(obj["metadata"].get("deletionTimestamp"))
        refs = obj["metadata"].get("ownerReferences") or []
        if refs and not terminating and all(self.store.key_of_uid(r["uid"]) is None for r in refs):
            # The garbage collector removes objects whose owners do not exist (any more).
            self._delete(key)
            return
        if key[:2] == ("", "namespaces") and terminating:
            for doomed in [k for k in self.store.keys() if k[2] == key[3]]:
                if self.store.get(doomed) is not None:
                    self._delete(doomed)
            self._reap_namespace(key[3])
        elif key[:2] == (CRD_GROUP, CRD_PLURAL):
            served = obj["spec"]
            group, plural = served["group"], served["names"]["plural"]
            if terminating:
                for doomed in [k for k in self.store.keys() if k[:2] == (group, plural)]:
                    if self.store.get(doomed) is not None:
                        self._delete(doomed)
                self._reap_crd(key[3])
                return
            self.registry.replace_group_resource(group, plural, specs_from_crd(obj))
            status = crds.crd_status(obj, self._now())
            if obj.get("status") != status:
                new = copy.deepcopy(obj)
                new["status"] = status
                self.store.write(key, new, "MODIFIED")

    # --- helpers -----------------------------------------------------------------------------

    def _key(self, spec: ResourceSpec, namespace: str | None, name: str) -> ObjectKey:
        return (spec.group, spec.plural, namespace if spec.namespaced else None, name)

    def _existing(
        self, spec: ResourceSpec, namespace: str | None, name: str
    ) -> tuple[ObjectKey, dict[str, Any]]:
        key = self._key(spec, namespace, name)
        current = self.store.get(key)
        if current is None:
            raise errors.not_found(spec.plural, name, spec.group)
        return key, current

    def _check_placement(self, spec: ResourceSpec, namespace: str | None, name: str) -> None:
        """Admission: the namespace must exist and not be terminating; a terminating CRD takes
        no new objects."""
        if namespace is not None:
            ns = self.store.get(("", "namespaces", None, namespace))
            if ns is None:
                raise errors.not_found("namespaces", namespace)
            if ns["metadata"].get("deletionTimestamp"):
                why = (
                    f"unable to create new content in namespace {namespace} because it is being "
                    "terminated"
                )
                raise errors.forbidden(spec.plural, name, spec.group, why)
        if spec.custom:
            crd = self.store.get((CRD_GROUP, CRD_PLURAL, None, spec.qualified))
            if crd is not None and crd["metadata"].get("deletionTimestamp"):
                raise errors.method_not_allowed("create", spec.qualified)

    def _generated_name(self, spec: ResourceSpec, namespace: str | None, prefix: str) -> str:
        while True:
            name = prefix + "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(5))
            if self.store.get(self._key(spec, namespace, name)) is None:
                return name

    def _prepare_builtin(self, spec: ResourceSpec, obj: dict[str, Any]) -> None:
        """Fields the apiserver itself fills in on creation."""
        if (spec.group, spec.plural) == ("", "namespaces"):
            obj["spec"] = {"finalizers": [NAMESPACE_FINALIZER]}
            obj["status"] = {"phase": "Active"}
        elif (spec.group, spec.plural) == (CRD_GROUP, CRD_PLURAL):
            finalizers = obj["metadata"].setdefault("finalizers", [])
            if crds.CLEANUP_FINALIZER not in finalizers:
                finalizers.append(crds.CLEANUP_FINALIZER)

    def _admit(
        self, spec: ResourceSpec, obj: dict[str, Any], *, subresource: str | None, new: bool
    ) -> None:
        meta = obj["metadata"]
        causes: list[errors.Cause] = []
        if new:
            causes += objectmeta.check_name(meta["name"], dns_label=spec.plural == "namespaces")
        causes += objectmeta.check_meta(meta)
        if spec.schema is not None:
            causes += admit(obj, spec.schema, only="status" if subresource == "status" else None)
        if (spec.group, spec.plural) == (CRD_GROUP, CRD_PLURAL) and subresource != "status":
            causes += crds.check_crd(obj)
        if causes:
            raise errors.invalid(spec.kind, meta["name"], spec.group, causes)


def _carry(source: Mapping[str, Any], target: dict[str, Any], field: str) -> None:
    """Make ``target[field]`` what it is in ``source``, absent included."""
    if field in source:
        target[field] = copy.deepcopy(source[field])
    else:
        target.pop(field, None)


def _generation_part(obj: Mapping[str, Any], spec: ResourceSpec) -> dict[str, Any]:
    skipped = {"metadata", "apiVersion", "kind", *(("status",) if spec.has_status else ())}
    return {k: v for k, v in obj.items() if k not in skipped}


def _spec_finalizers(obj: Mapping[str, Any], key: ObjectKey) -> list[str]:
    """A namespace is also held by its ``spec.finalizers`` until its content is gone."""
    if key[:2] != ("", "namespaces"):
        return []
    return list((obj.get("spec") or {}).get("finalizers") or [])
