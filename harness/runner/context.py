"""What a running step can reach (backend, namespace, bindings, defaults) and how it reports a failure.

:class:`StepFailed` is a scenario failure (an expectation did not hold, a wait timed out, an object that should
exist does not), as opposed to an error of the harness or the backend, which stays a HarnessError. It carries
the virtual time and the objects the step was about, so diagnostics can show the relevant part of the journal.

Not here: the steps themselves (:mod:`.steps`, :mod:`.waiting`, :mod:`.expecting`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..backends.base import Backend
from ..scenario.model import Timeouts
from .assertions import Problem
from .bindings import Bindings, ResolvedRef


class StepFailed(Exception):
    """A step's check did not hold. ``problems`` list each failed check with its detail (diff, timeline)."""

    def __init__(self, summary: str, *, t: float, problems: Sequence[Problem] = (),
                 objects: Sequence[ResolvedRef] = ()) -> None:
        super().__init__(summary)
        self.summary = summary
        self.t = t
        self.problems = tuple(problems)
        self.objects = tuple(objects)

    def describe(self) -> str:
        """The summary, then each problem with its detail (a lone problem restating the summary is not repeated)."""
        lines = [self.summary]
        for problem in self.problems:
            if not (len(self.problems) == 1 and self.summary.startswith(problem.summary)):
                lines.append(f"- {problem.summary}")
            if problem.detail:
                lines.extend("  " + line for line in problem.detail.splitlines())
        return "\n".join(lines)


@dataclass
class RunContext:
    backend: Backend
    namespace: str
    bindings: Bindings
    timeouts: Timeouts = field(default_factory=Timeouts)
    notes: list[str] = field(default_factory=list)  # said about the current step (e.g. "real wait")
    touched: list[ResolvedRef] = field(default_factory=list)  # objects steps have named, for diagnostics

    def now(self) -> float:
        return self.backend.now()

    def at(self) -> str:
        return f"at t={self.backend.now():.1f}s"

    def get(self, ref: ResolvedRef) -> dict[str, Any] | None:
        assert ref.name is not None
        return self.backend.get(ref.kind, ref.name, namespace=self.namespace)

    def objects(self, ref: ResolvedRef) -> list[dict[str, Any]]:
        """The named object (zero or one) or every object matching the selector, sorted by name."""
        if ref.name is not None:
            obj = self.get(ref)
            return [] if obj is None else [obj]
        found = self.backend.list(ref.kind, namespace=self.namespace, selector=ref.selector or None)
        return sorted(found, key=lambda o: str((o.get("metadata") or {}).get("name", "")))

    def touch(self, ref: ResolvedRef) -> None:
        if ref not in self.touched:
            self.touched.append(ref)
