"""Approved message templates, per WABA, and the checks Meta runs on a template send.

Meta sends a template only if it is approved for the sender's WABA in the requested
language (else 132001, HTTP 404), with exactly as many parameters per component as the
template has variables (else 132000), and text parameters without new lines, tabs or more
than 4 consecutive spaces (else 132018). The sandbox's templates have a body with
``{{1}}``… variables and no header or buttons. Meta gives every WABA ``hello_world``
(en_US, no variables); ``card_followup`` is the one ibbase asks approval for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from graph_sandbox.errors import GraphError, from_code, invalid_parameter

ANY_WABA = "*"
_VARIABLE = re.compile(r"\{\{(\d+)\}\}")
_BAD_PARAM_TEXT = re.compile(r"[\n\t]| {5,}")
PARAMETER_TYPES = ("text", "currency", "date_time", "image", "video", "document", "location")


class ApprovedTemplate(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[a-z0-9_]{1,512}$")
    language: str = Field(examples=["ru", "en", "en_US"])
    body: str = Field(description="the body text with {{1}}, {{2}}… variables")
    category: str = "UTILITY"

    @property
    def body_params(self) -> int:
        return len(set(_VARIABLE.findall(self.body)))

    def render(self, values: list[str]) -> str:
        return _VARIABLE.sub(lambda m: _nth(values, int(m.group(1))), self.body)


def _nth(values: list[str], n: int) -> str:
    return values[n - 1] if 0 < n <= len(values) else f"{{{{{n}}}}}"


DEFAULT_TEMPLATES: tuple[ApprovedTemplate, ...] = (
    ApprovedTemplate(
        name="hello_world",
        language="en_US",
        body="Welcome and congratulations!! This message demonstrates your ability to send "
        "a WhatsApp message notification from the Cloud API, hosted by Meta.",
    ),
    ApprovedTemplate(
        name="card_followup",
        language="ru",
        body="Здравствуйте! {{1}} — напишите нам в ответ, если остались вопросы.",
    ),
    ApprovedTemplate(
        name="card_followup",
        language="en",
        body="Hello! {{1}} — reply to this message if you have any questions.",
    ),
)


@dataclass
class Templates:
    """``by_waba[waba_id]``: what is approved for that WABA; ``ANY_WABA`` for every one."""

    by_waba: dict[str, dict[tuple[str, str], ApprovedTemplate]] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: Mapping[str, Iterable[ApprovedTemplate]]) -> Templates:
        registry = cls()
        for waba_id, templates in config.items():
            for template in templates:
                registry.approve(waba_id, template)
        return registry

    def approve(self, waba_id: str, template: ApprovedTemplate) -> None:
        self.by_waba.setdefault(waba_id, {})[(template.name, template.language)] = template

    def find(self, waba_id: str, name: str, language: str) -> ApprovedTemplate | None:
        for key in (waba_id, ANY_WABA):
            found = self.by_waba.get(key, {}).get((name, language))
            if found is not None:
                return found
        return None

    def listing(self, waba_id: str) -> list[ApprovedTemplate]:
        merged = {**self.by_waba.get(ANY_WABA, {}), **self.by_waba.get(waba_id, {})}
        return list(merged.values())


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid_parameter(f"Param {name} must be a JSON object.")
    return value


def _required_string(obj: dict[str, Any], key: str, name: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise invalid_parameter(f"The parameter {name} is required.")
    return value


def _mismatch(component: str, got: int, expected: int) -> GraphError:
    return from_code(
        132000,
        details=f"{component}: number of localizable_params ({got}) does not match the "
        f"expected number of params ({expected})",
    )


def _parameters(component: dict[str, Any], path: str) -> list[dict[str, Any]]:
    params = component.get("parameters", [])
    if not isinstance(params, list):
        raise invalid_parameter(f"Param {path}['parameters'] must be an array.")
    for n, raw in enumerate(params):
        param = _object(raw, f"{path}['parameters'][{n}]")
        kind = param.get("type")
        if kind not in PARAMETER_TYPES:
            allowed = ", ".join(t.upper() for t in PARAMETER_TYPES)
            raise invalid_parameter(
                f"Param {path}['parameters'][{n}]['type'] must be one of {{{allowed}}}."
            )
        if kind == "text":
            text = _required_string(param, "text", f"{path}['parameters'][{n}]['text']")
            if _BAD_PARAM_TEXT.search(text):
                raise from_code(
                    132018,
                    details="Param text cannot have new-line/tab characters or more than 4 "
                    "consecutive spaces",
                )
    return params


def validate_template(
    content: dict[str, Any], templates: Templates, waba_id: str
) -> tuple[ApprovedTemplate, list[str]]:
    """The approved template a send names, and its body's text values; Meta's error else."""
    name = _required_string(content, "name", "template['name']")
    language = _object(content.get("language"), "template['language']")
    code = _required_string(language, "code", "template['language']['code']")
    policy = language.get("policy", "deterministic")
    if policy != "deterministic":
        raise invalid_parameter(
            f"Param template['language']['policy'] must be one of {{DETERMINISTIC}} - got "
            f'"{policy}".'
        )
    approved = templates.find(waba_id, name, code)
    if approved is None:
        raise from_code(132001, details=f"template name ({name}) does not exist in {code}")
    components = content.get("components", [])
    if not isinstance(components, list):
        raise invalid_parameter("Param template['components'] must be an array.")
    counts: dict[str, int] = {}
    values: list[str] = []
    for n, raw in enumerate(components):
        path = f"template['components'][{n}]"
        component = _object(raw, path)
        kind = component.get("type")
        if kind not in ("header", "body", "button"):
            raise invalid_parameter(
                f"Param {path}['type'] must be one of {{HEADER, BODY, BUTTON}}."
            )
        params = _parameters(component, path)
        counts[kind] = counts.get(kind, 0) + len(params)
        if kind == "body":
            values += [str(p.get("text", "")) for p in params]
    if counts.get("body", 0) != approved.body_params:
        raise _mismatch("body", counts.get("body", 0), approved.body_params)
    for kind in ("header", "button"):
        if counts.get(kind):
            raise _mismatch(kind, counts[kind], 0)
    return approved, values
