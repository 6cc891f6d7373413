"""KubeRay release constraints a scenario declares (``kuberay: ">=1.5, <1.7"``) and how a release is tested.

A scenario says which KubeRay releases its expectations hold for; the runner skips it (and says why) on any
other release. Versions compare at the precision they are written with, so ``<=1.5`` includes 1.5.2 and ``1.5``
means any 1.5.x release. Several alternatives may be listed (``["1.4", ">=1.6"]``): any one suffices.

Not here: which releases the simulator models (``harness.kuberay.profile``).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

_CLAUSE = re.compile(r"^\s*(>=|<=|==|!=|>|<|=)?\s*v?(\d+(?:\.\d+){0,2})(?:\.[xX*])?\s*$")
_OPS: Final[dict[str, Callable[[tuple[int, ...], tuple[int, ...]], bool]]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq,
    "!=": operator.ne,
}


def parse_version(text: str) -> tuple[int, ...]:
    """``v1.7.0`` → ``(1, 7, 0)``; ValueError when it is not a dotted release number."""
    match = re.fullmatch(r"\s*v?(\d+(?:\.\d+){0,2})\s*", text)
    if match is None:
        raise ValueError(f"version={text!r} is not a release number such as 1.7 or 1.5.2")
    return tuple(int(part) for part in match.group(1).split("."))


@dataclass(frozen=True)
class Clause:
    op: str
    version: tuple[int, ...]

    def allows(self, version: tuple[int, ...]) -> bool:
        padded = version + (0,) * max(0, len(self.version) - len(version))
        return _OPS[self.op](padded[: len(self.version)], self.version)

    def __str__(self) -> str:
        return f"{self.op}{'.'.join(map(str, self.version))}"


@dataclass(frozen=True)
class VersionSpec:
    """Alternatives of clause conjunctions: the spec holds when all clauses of any one alternative hold."""

    alternatives: tuple[tuple[Clause, ...], ...]
    text: str

    @classmethod
    def parse(cls, spec: str | Sequence[str]) -> VersionSpec:
        """Parse ``">=1.5, <1.7"`` or a list of such strings; ValueError names the clause it cannot read."""
        if not isinstance(spec, (str, list, tuple)):
            raise ValueError(f"version constraint={spec!r} is not a string (quote it: \"{spec}\")")
        texts = [spec] if isinstance(spec, str) else list(spec)
        if not texts:
            raise ValueError("an empty list of KubeRay versions holds for no release")
        alternatives = []
        for text in texts:
            if not isinstance(text, str):
                raise ValueError(f"version constraint={text!r} is not a string")
            clauses = []
            for part in text.split(","):
                if part.strip() in ("*", "any"):
                    continue
                match = _CLAUSE.match(part)
                if match is None:
                    raise ValueError(f"version constraint={part.strip()!r} is not understood")
                op = match.group(1) or "=="
                clauses.append(Clause("==" if op == "=" else op,
                                      tuple(int(p) for p in match.group(2).split("."))))
            alternatives.append(tuple(clauses))
        shown = texts[0] if len(texts) == 1 else " | ".join(texts)
        return cls(tuple(alternatives), shown)

    def allows(self, version: str) -> bool:
        parsed = parse_version(version)
        return any(all(clause.allows(parsed) for clause in clauses) for clauses in self.alternatives)

    def __str__(self) -> str:
        return self.text
