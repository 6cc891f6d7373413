"""Bindings while a scenario runs: values saved by ``save`` steps, filled into later steps' ``${name}``.

The loader has already checked that every reference names a binding some earlier step saves; what can still go
wrong at run time is a ``finally`` step referring to a binding whose ``save`` never ran because the scenario
failed first. That is reported as :class:`UnboundBinding`, naming the binding.

Not here: the ``${...}`` syntax (``harness.scenario.templates``), reading values out of objects (:mod:`.steps`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..errors import HarnessError
from ..scenario.model import ObjectRef
from ..scenario.templates import render, render_value


class UnboundBinding(HarnessError):
    """A step refers to a binding that no step has saved (in this run)."""


# A reference with its bindings filled in is still an ObjectRef (same kinds, names and description).
ResolvedRef = ObjectRef


class Bindings:
    def __init__(self, builtins: Mapping[str, Any] | None = None) -> None:
        self._values: dict[str, Any] = dict(builtins or {})

    def set(self, name: str, value: Any) -> None:
        self._values[name] = value

    def lookup(self, name: str) -> Any:
        if name not in self._values:
            raise UnboundBinding(f"binding=${{{name}}} has no value in this run",
                                 hint="the step that saves it did not run (an earlier step failed)")
        return self._values[name]

    def value(self, data: Any) -> Any:
        """``data`` with every ``${name}`` filled in (strings, and inside mappings and lists)."""
        return render_value(data, self.lookup)

    def text(self, text: str) -> str:
        result = render(text, self.lookup) if "${" in text else text
        return result if isinstance(result, str) else str(result)

    def ref(self, ref: ObjectRef) -> ResolvedRef:
        return replace(ref, name=self.text(ref.name) if ref.name is not None else None,
                       selector=self.text(ref.selector) if ref.selector is not None else None)

    def snapshot(self) -> dict[str, Any]:
        return dict(self._values)
