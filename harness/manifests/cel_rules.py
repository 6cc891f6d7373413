"""``x-kubernetes-validations`` rules, evaluated with CEL as the apiextensions-apiserver evaluates them.

A :class:`Rule` holds one rule of a CRD exactly as the CRD writes it (the CEL expression, ``message``,
``messageExpression``, ``reason``, ``fieldPath``, ``optionalOldSelf``), plus the first KubeRay release whose CRD
carries it, so that rule data can be kept per release. Expressions are compiled once, lazily, by the
``common-expression-language`` package (a maintained CEL implementation); this module adds what Kubernetes layers
on top of plain CEL for CRDs:

- ``self`` is the value at the rule's node, ``oldSelf`` the value at the same place in the stored object;
- a rule that mentions ``oldSelf`` is a *transition rule*: it is skipped on create and whenever the old value is
  absent, unless ``optionalOldSelf`` is set, in which case ``oldSelf`` is an optional (``optional.none()`` on
  create) and the rule always runs;
- a failed rule reports ``<path>: Invalid value: "<schema type>": <message>`` (``message`` or, if set and
  evaluable to a non-blank string, ``messageExpression``; else ``failed rule: <rule>``), with ``reason`` choosing
  Forbidden / Required / Duplicate instead of Invalid, and ``fieldPath`` appended to the node's path.

Not modelled, because no KubeRay CRD uses them: CEL cost limits and the Kubernetes CEL extension libraries
(quantity, IP/CIDR, format, ...); an expression calling one fails with a clear error.

Not here: walking an object and its old version in step (:mod:`.structural`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final

from .field_errors import OMIT, ErrorType, FieldError

_OLD_SELF: Final = re.compile(r"\boldSelf\b")

_REASONS: Final = {
    "": ErrorType.INVALID,
    "FieldValueInvalid": ErrorType.INVALID,
    "FieldValueForbidden": ErrorType.FORBIDDEN,
    "FieldValueRequired": ErrorType.REQUIRED,
    "FieldValueDuplicate": ErrorType.DUPLICATE,
}


class RuleError(Exception):
    """A rule that cannot be compiled or evaluated (a bug in the rule data, never the user's input)."""


@dataclass(frozen=True, eq=False)
class Rule:
    """One ``x-kubernetes-validations`` entry, as the CRD spells it."""

    rule: str
    message: str = ""
    message_expression: str = ""
    reason: str = ""
    field_path: str = ""
    optional_old_self: bool = False
    since: str = ""  # the first KubeRay release (``"1.5"``) whose CRD has this rule

    def __post_init__(self) -> None:
        if self.reason not in _REASONS:
            raise RuleError(f"rule {self.rule!r}: reason={self.reason!r} is not one the API server accepts")

    @property
    def transition(self) -> bool:
        """Whether the rule compares with the stored object (it mentions ``oldSelf``)."""
        return bool(_OLD_SELF.search(self.rule))

    @cached_property
    def program(self) -> Any:
        return _compile(self.rule)

    @cached_property
    def message_program(self) -> Any:
        return _compile(self.message_expression) if self.message_expression else None

    def holds(self, value: Any, *, old: Any = None, has_old: bool = False) -> bool:
        """Evaluate the rule on ``value`` (and ``old`` for transition rules); True when it passes."""
        context = self._context(value, old, has_old)
        try:
            result = self.program.execute(context)
        except Exception as exc:  # the CEL runtime raises TypeError, RuntimeError, KeyError...
            raise RuleError(f"rule {self.rule!r}: {type(exc).__name__}: {exc}") from exc
        if not isinstance(result, bool):
            raise RuleError(f"rule {self.rule!r} evaluated to {result!r}, not a bool")
        return result

    def applies(self, has_old: bool) -> bool:
        """Kubernetes skips a transition rule when there is no old value, unless oldSelf is optional."""
        return not self.transition or has_old or self.optional_old_self

    def failure(self, path: str, schema_type: str, value: Any, *, old: Any = None,
                has_old: bool = False) -> FieldError:
        """The field error the API server reports when the rule fails at ``path``."""
        where = path + self.field_path if self.field_path else path
        error_type = _REASONS[self.reason]
        bad_value: Any = OMIT if error_type in (ErrorType.REQUIRED, ErrorType.FORBIDDEN) else schema_type
        return FieldError(error_type, where, bad_value, self._message(value, old, has_old))

    def _message(self, value: Any, old: Any, has_old: bool) -> str:
        if self.message_program is not None:
            try:
                text = self.message_program.execute(self._context(value, old, has_old))
            except Exception:  # a failing messageExpression falls back to the static message
                text = None
            if isinstance(text, str) and text.strip():
                return text
        return self.message or f"failed rule: {self.rule}"

    def _context(self, value: Any, old: Any, has_old: bool) -> dict[str, Any]:
        import cel  # lazily: the package pulls in a terminal UI library that `validate` must not load

        context: dict[str, Any] = {"self": value}
        if self.transition:
            if self.optional_old_self:
                context["oldSelf"] = cel.OptionalValue.of(old) if has_old else cel.OptionalValue.none()
            else:
                context["oldSelf"] = old
        return context


def _compile(expression: str) -> Any:
    import cel

    try:
        return cel.compile(expression)
    except ValueError as exc:
        raise RuleError(f"CEL expression {expression!r} does not compile: {exc}") from exc

