"""Jinja in a sandbox for user-written templates (file paths, commit messages, device commands).

Templates only ever see plain data (dicts, lists, strings): never model objects, so there is nothing
to call on them (``device.save()``, ``credential.get_secret()``) and the sandbox refuses dunder access
(``''.__class__``). The immutable sandbox also refuses mutating methods (``custom_fields.clear()``),
and ``*`` / ``**`` are capped so ``'x' * 10**9`` cannot eat the worker's memory.

The seed's placeholder style (``{device_name}``, ``{location.name}``) is accepted and translated.
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, TemplateError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_OUTPUT = 1_000_000  # characters a single rendering may produce
_MAX_REPEAT = 100_000  # largest sequence/string a `*` or `**` may build

__all__ = ["MAX_OUTPUT", "RenderError", "check_relative_path", "compile_template", "from_seed_style",
           "render", "validate_path_template"]


class RenderError(ValueError):
    """A template failed to compile or render; the message is meant for users."""


class _Env(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > 64:
            raise SecurityError("exponent too large")
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > _MAX_REPEAT:
                    raise SecurityError("repetition too large")
        return super().call_binop(context, operator, left, right)


_ENV = _Env(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)

# {device_name} / {location.name} / {device.platform}: one identifier path in single braces.
_SEED = re.compile(r"(?<!\{)\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}(?!\})")
_SEED_ALIASES = {
    "device_name": "device.name", "hostname": "device.name", "name": "device.name",
    "location_name": "location.name", "location": "location.name", "platform": "device.platform",
    "role": "device.role", "host": "device.host",
}


def from_seed_style(source: str) -> str:
    """Translate ``{device_name}``-style placeholders to Jinja; Jinja sources are returned unchanged."""
    if "{{" in source or "{%" in source:
        return source
    return _SEED.sub(lambda m: "{{ " + _SEED_ALIASES.get(m.group(1), m.group(1)) + " }}", source)


def compile_template(source: str, *, seed_style: bool = False):
    """Compile ``source`` (translating ``{device_name}`` placeholders if ``seed_style``) or raise RenderError."""
    try:
        return _ENV.from_string(from_seed_style(source) if seed_style else source)
    except TemplateSyntaxError as exc:
        raise RenderError(f"template syntax error on line {exc.lineno}: {exc.message}") from None


def render(template, context: dict[str, Any]) -> str:
    """Render a compiled template (or a source string) with plain-data ``context``."""
    if isinstance(template, str):
        template = compile_template(template)
    try:
        out = template.render(context)
    except UndefinedError as exc:
        raise RenderError(f"undefined variable: {exc.message}") from None
    except SecurityError as exc:
        raise RenderError(f"not allowed in templates: {exc}") from None
    except TemplateError as exc:
        raise RenderError(f"template error: {exc.message or type(exc).__name__}") from None
    except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
        raise RenderError(f"template error: {type(exc).__name__}: {exc}") from None
    if len(out) > MAX_OUTPUT:
        raise RenderError(f"template output is larger than {MAX_OUTPUT} characters")
    return out


def check_relative_path(path: str) -> str:
    """A normalised repository-relative path, or RenderError if it could leave the repository.

    Empty segments collapse (a device without a location renders ``/r1.cfg`` → ``r1.cfg``); ``..``,
    ``.``, backslashes, NUL, control characters and a ``.git`` segment are refused.
    """
    if "\x00" in path or "\\" in path:
        raise RenderError("path must not contain NUL or backslashes")
    if any(ord(ch) < 32 for ch in path):
        raise RenderError("path must not contain control characters")
    if path.startswith("~"):
        raise RenderError("path must be relative to the repository (no leading ~)")
    # A leading "/" can only come from an empty value (validate_path_template refuses a literal one),
    # e.g. a device without a location; the result is always joined below, so it cannot escape.
    parts = [p for p in path.strip().split("/") if p.strip()]
    if not parts:
        raise RenderError("path is empty")
    for part in parts:
        if part in (".", ".."):
            raise RenderError("path must not contain '.' or '..' segments")
        if part.lower() == ".git":
            raise RenderError("path must not point into .git")
    if len(path) > 400:
        raise RenderError("path is longer than 400 characters")
    return "/".join(p.strip() for p in parts)


_SAMPLE = {
    "device": {"id": 1, "name": "r1", "host": "192.0.2.1", "port": 22, "platform": "cisco_ios", "role": "core",
               "serial": "S1", "description": "", "location": "site"},
    "location": {"name": "site", "description": ""},
    "tags": ["core"], "custom_fields": {}, "kind": "running",
}


def validate_path_template(source: str) -> str:
    """Check a path template at validation time: syntax, literal parts and a sample rendering."""
    if not source.strip():
        raise ValueError("must not be empty")
    if "\x00" in source or "\\" in source:
        raise ValueError("must not contain NUL or backslashes")
    translated = from_seed_style(source)
    if translated.lstrip().startswith(("/", "~")):
        raise ValueError("must be relative to the repository (no leading / or ~)")
    try:
        ast = _ENV.parse(translated)
    except TemplateSyntaxError as exc:
        raise ValueError(f"template syntax error: {exc.message}") from None
    for data in ast.find_all(nodes.TemplateData):
        if re.search(r"(^|/)\.\.(/|$)", data.data):
            raise ValueError("must not contain '..' segments")
    try:
        check_relative_path(render(compile_template(source, seed_style=True), _SAMPLE))
    except RenderError as exc:
        # Variables unknown to the sample (custom fields) are fine; escapes through constants are not.
        if not str(exc).startswith("undefined variable"):
            raise ValueError(str(exc)) from None
    return source
