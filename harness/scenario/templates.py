"""The ``${name}`` binding syntax shared by the loader (which checks it) and the runner (which fills it in).

A binding is a value a ``save`` step took from an object (a generated RayCluster name, a job id) or a builtin
(``namespace``, ``scenario``). A string that is exactly ``${name}`` becomes the bound value with its type; a
longer string gets the value interpolated as text. ``$${`` writes a literal ``${``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

NAME_PATTERN: Final = r"[A-Za-z_][A-Za-z0-9_]*"
_REFERENCE: Final = re.compile(r"\$\$\{|\$\{([^}]*)\}?")
_NAME: Final = re.compile(NAME_PATTERN)


class TemplateSyntaxError(ValueError):
    """A ``${`` that is not closed or does not hold a binding name."""


def references(text: str) -> list[str]:
    """The binding names ``text`` refers to, in order; TemplateSyntaxError on a malformed reference."""
    names = []
    for match in _REFERENCE.finditer(text):
        if match.group(0) == "$${":
            continue
        inner = match.group(1)
        if not match.group(0).endswith("}"):
            raise TemplateSyntaxError(f"binding reference in {text!r} is not closed with '}}'")
        if _NAME.fullmatch(inner.strip()) is None:
            raise TemplateSyntaxError(f"binding reference ${{{inner}}} is not a name (letters, digits, _)")
        names.append(inner.strip())
    return names


def strings_in(value: Any) -> list[str]:
    """Every string inside JSON-shaped data (keys included), for checking references."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        out: list[str] = []
        for key, item in value.items():
            out.extend(strings_in(key))
            out.extend(strings_in(item))
        return out
    if isinstance(value, (list, tuple)):
        return [text for item in value for text in strings_in(item)]
    return []


def render(text: str, lookup: Callable[[str], Any]) -> Any:
    """Fill in the references of one string; ``lookup`` raises KeyError for an unknown name."""
    whole = re.fullmatch(r"\$\{\s*(" + NAME_PATTERN + r")\s*\}", text)
    if whole is not None:
        return lookup(whole.group(1))

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        value = lookup(match.group(1).strip())
        return value if isinstance(value, str) else _scalar_text(value)

    return _REFERENCE.sub(replace, text)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def render_value(value: Any, lookup: Callable[[str], Any]) -> Any:
    """Fill in references throughout JSON-shaped data, keys included; returns new data."""
    if isinstance(value, str):
        return render(value, lookup) if "${" in value else value
    if isinstance(value, Mapping):
        return {str(render_value(key, lookup)): render_value(item, lookup) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [render_value(item, lookup) for item in value]
    return value
