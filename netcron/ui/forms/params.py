"""A form generated from a job type's parameter JSON schema, validated by the type's pydantic model.

The HTML fields only collect text; pydantic decides what is valid, so the UI shows exactly the errors
the API would give. Types the generator does not know get a JSON field, never a silent drop.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from netcron.executors.base import JobType

PREFIX = "param__"
_MISSING = object()


@dataclass
class ParamField:
    name: str
    label: str
    kind: str  # text | integer | number | boolean | enum | lines | json
    help: str = ""
    required: bool = False
    nullable: bool = False
    default: Any = _MISSING
    choices: list = field(default_factory=list)
    attrs: dict = field(default_factory=dict)
    value: Any = ""
    errors: list[str] = field(default_factory=list)

    @property
    def html_name(self) -> str:
        return PREFIX + self.name

    @property
    def html_id(self) -> str:
        return "id_" + self.html_name

    @property
    def has_default(self) -> bool:
        return self.default is not _MISSING

    def display(self, value: Any) -> Any:
        """A stored value as the widget shows it."""
        if self.kind == "boolean":
            return bool(value)
        if value is None:
            return ""
        if self.kind == "lines":
            return "\n".join(str(v) for v in value) if isinstance(value, list) else str(value)
        if self.kind == "json":
            return json.dumps(value, indent=2)
        return str(value)

    def raw(self, data) -> Any:
        """The submitted value, converted only as far as pydantic cannot (checkbox, lines, JSON); _MISSING = omit."""
        if self.kind == "boolean":
            return data.get(self.html_name) in ("on", "true", "1")
        text = data.get(self.html_name, "")
        if self.kind == "lines":
            return [line.strip() for line in text.splitlines() if line.strip()]
        if text.strip() == "":
            if self.nullable:
                return None
            return "" if self.kind == "text" else _MISSING
        if self.kind == "enum":
            return next((c for c in self.choices if str(c) == text), text)
        if self.kind == "json":
            return json.loads(text)
        return text if self.kind == "text" else text.strip()


def _resolve(prop: dict, defs: dict) -> tuple[dict, bool]:
    """Inline $ref/allOf and unwrap `X | None`; returns (schema, nullable)."""
    nullable = False
    for _ in range(5):
        if "$ref" in prop:
            target = defs.get(prop["$ref"].rsplit("/", 1)[-1], {})
            prop = {**target, **{k: v for k, v in prop.items() if k != "$ref"}}
        elif "allOf" in prop and len(prop["allOf"]) == 1:
            prop = {**prop["allOf"][0], **{k: v for k, v in prop.items() if k != "allOf"}}
        elif "anyOf" in prop:
            options = [p for p in prop["anyOf"] if p.get("type") != "null"]
            nullable = nullable or len(options) < len(prop["anyOf"])
            if len(options) != 1:
                break
            prop = {**options[0], **{k: v for k, v in prop.items() if k != "anyOf"}}
        else:
            break
    return prop, nullable


def _kind(prop: dict) -> str:
    if "enum" in prop:
        return "enum"
    kind = prop.get("type")
    if kind == "string":
        return "text"
    if kind in ("integer", "number", "boolean"):
        return kind
    if kind == "array" and prop.get("items", {}).get("type") == "string" and "enum" not in prop.get("items", {}):
        return "lines"
    return "json"


def _attrs(prop: dict, kind: str) -> dict:
    attrs: dict = {}
    if kind in ("integer", "number"):
        attrs["step"] = "1" if kind == "integer" else "any"
        if "minimum" in prop:
            attrs["min"] = prop["minimum"]
        if "maximum" in prop:
            attrs["max"] = prop["maximum"]
    if kind == "text" and "maxLength" in prop:
        attrs["maxlength"] = prop["maxLength"]
    return attrs


def fields_from_schema(schema: dict) -> list[ParamField]:
    defs = schema.get("$defs", {})
    required = set(schema.get("required", []))
    fields = []
    for name, raw_prop in schema.get("properties", {}).items():
        prop, nullable = _resolve(raw_prop, defs)
        kind = _kind(prop)
        fields.append(ParamField(
            name=name, label=prop.get("title") or name.replace("_", " ").capitalize(), kind=kind,
            help=prop.get("description", ""), required=name in required, nullable=nullable,
            default=prop.get("default", _MISSING), choices=list(prop.get("enum", [])), attrs=_attrs(prop, kind),
        ))
    return fields


class ParamsForm:
    """Bound to stored params (to display) or to POST data (to validate)."""

    def __init__(self, job_type: JobType, initial: dict | None = None, data=None):
        self.job_type = job_type
        self.fields = fields_from_schema(job_type.params_schema())
        self.data = data
        self.cleaned: dict | None = None
        self.non_field_errors: list[str] = []
        initial = initial or {}
        for f in self.fields:
            if data is not None:
                f.value = (data.get(f.html_name) in ("on", "true", "1")) if f.kind == "boolean" \
                    else data.get(f.html_name, "")
            elif f.name in initial:
                f.value = f.display(initial[f.name])
            elif f.has_default:
                f.value = f.display(f.default)

    def raw_params(self) -> dict:
        params: dict = {}
        for f in self.fields:
            try:
                value = f.raw(self.data)
            except json.JSONDecodeError as exc:
                f.errors.append(f"not valid JSON: {exc.msg} (line {exc.lineno})")
                continue
            if value is not _MISSING:
                params[f.name] = value
        return params

    def is_valid(self) -> bool:
        if self.data is None:
            return False
        params = self.raw_params()
        if any(f.errors for f in self.fields):
            return False
        try:
            self.cleaned = self.job_type.validate_params(params).model_dump(mode="json")
        except ValidationError as exc:
            self.add_errors(exc.errors())
            return False
        return True

    def add_errors(self, errors: list[dict]) -> None:
        """Attach pydantic errors to their fields; an error on a nested item names the item."""
        by_name = {f.name: f for f in self.fields}
        for error in errors:
            loc = list(error.get("loc", ()))
            target = by_name.get(loc[0]) if loc and isinstance(loc[0], str) else None
            rest = "".join(f"item {p + 1}: " if isinstance(p, int) else f"{p}: " for p in loc[1:])
            if target is None:
                where = f"{'.'.join(str(p) for p in loc)}: " if loc else ""
                self.non_field_errors.append(where + error.get("msg", "invalid"))
            else:
                target.errors.append(rest + error.get("msg", "invalid"))

    @property
    def has_errors(self) -> bool:
        return bool(self.non_field_errors) or any(f.errors for f in self.fields)
