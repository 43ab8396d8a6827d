"""The generic ``metadata`` rules every object obeys, whatever its kind.

Operators build names and labels from user input (a channel name, a phone number id): the
real API server rejects a name with an upper-case letter or a 64-character label value, so
the emulator must too, with the same field paths, or such bugs only show up on a cluster.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kube_emulator.errors import Cause

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

_SUBDOMAIN_HINT = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_LABEL_HINT = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
_NAME_PART_HINT = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
    "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
_VALUE_HINT = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


def check_name(name: str, *, dns_label: bool) -> list[Cause]:
    """Namespaces need a DNS label; everything else served here a DNS subdomain."""
    pattern, hint, limit = (
        (_DNS_LABEL, _LABEL_HINT, 63) if dns_label else (_DNS_SUBDOMAIN, _SUBDOMAIN_HINT, 253)
    )
    causes = []
    if len(name) > limit:
        causes.append(
            Cause(
                "metadata.name", f'Invalid value: "{name}": must be no more than {limit} characters'
            )
        )
    if not pattern.match(name):
        causes.append(Cause("metadata.name", f'Invalid value: "{name}": {hint}'))
    return causes


def check_meta(meta: Mapping[str, Any]) -> list[Cause]:
    """Types and syntax of labels, annotations, finalizers and owner references."""
    causes: list[Cause] = []
    labels = meta.get("labels") or {}
    if not _is_str_map(labels):
        causes.append(Cause("metadata.labels", "Invalid value: must be a map of strings"))
    else:
        for key, value in labels.items():
            causes += _qualified_name("metadata.labels", key)
            if len(value) > 63:
                causes.append(
                    Cause(
                        "metadata.labels",
                        f'Invalid value: "{value}": must be no more than 63 characters',
                    )
                )
            if not _LABEL_VALUE.match(value):
                causes.append(Cause("metadata.labels", f'Invalid value: "{value}": {_VALUE_HINT}'))
    annotations = meta.get("annotations") or {}
    if not _is_str_map(annotations):
        causes.append(Cause("metadata.annotations", "Invalid value: must be a map of strings"))
    else:
        for key in annotations:
            causes += _qualified_name("metadata.annotations", key)
    finalizers = meta.get("finalizers") or []
    if not isinstance(finalizers, list) or not all(isinstance(f, str) for f in finalizers):
        causes.append(Cause("metadata.finalizers", "Invalid value: must be a list of strings"))
    for index, ref in enumerate(meta.get("ownerReferences") or []):
        for key in ("apiVersion", "kind", "name", "uid"):
            if not isinstance(ref, Mapping) or not ref.get(key):
                path = f"metadata.ownerReferences[{index}].{key}"
                causes.append(Cause(path, "Required value", "FieldValueRequired"))
    return causes


def _is_str_map(value: Any) -> bool:
    return isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


def _qualified_name(path: str, key: str) -> list[Cause]:
    prefix, slash, name = key.rpartition("/")
    causes = []
    if slash and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        causes.append(Cause(path, f'Invalid value: "{key}": prefix part {_SUBDOMAIN_HINT}'))
    if not name or len(name) > 63 or not _LABEL_NAME.match(name):
        causes.append(Cause(path, f'Invalid value: "{key}": {_NAME_PART_HINT}'))
    return causes
