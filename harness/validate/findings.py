"""What ``rayjob-harness validate`` says about manifests: findings, and how they add up to an exit code.

A :class:`Finding` names a place (``file:line:column``), a rule id from :mod:`.rules`, a severity, a message and a
fix. Where a rule is the API server's or the operator's, the message is their own text, word for word, so that a
search for it finds the same thing a cluster would print; the fix is this project's advice.

A :class:`Report` holds every finding of one run and decides the exit code: 2 when an input could not be read or
parsed, 1 when there is an error (with ``--strict``, a warning counts as one), 0 otherwise.

Not here: deciding what is wrong (the layers), printing (:mod:`.render`, :mod:`.sarif`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Final

from ..errors import SourcePos


class Severity(str, Enum):
    """How bad a finding is. Errors mean the manifest is refused or cannot work; warnings that it is accepted but
    probably does not do what its author meant; notes are worth knowing (and never fail a run)."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    @property
    def sarif_level(self) -> str:
        return _SARIF_LEVELS[self]

    @property
    def rank(self) -> int:
        """Lower is worse: sorts errors first."""
        return _RANKS[self]


_SARIF_LEVELS: Final = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}
_RANKS: Final = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.NOTE: 2}


class Layer(str, Enum):
    """Which part of the path to a running job a rule models; the first part of every rule id."""

    INPUT = "input"  # the file itself: unreadable, not YAML, empty
    SCHEMA = "schema"  # the Kubernetes API server with the release's CRDs
    OPERATOR = "operator"  # the KubeRay operator's own validation
    PITFALL = "pitfall"  # accepted, but does not behave as people expect


@dataclass(frozen=True)
class Finding:
    """One problem at one place. ``obj`` is ``Kind/namespace/name``; ``path`` the field, API-server style."""

    rule: str
    severity: Severity
    message: str
    fix: str
    pos: SourcePos
    obj: str = ""
    path: str = ""

    @property
    def layer(self) -> Layer:
        return Layer(self.rule.split("/", 1)[0])

    def sort_key(self) -> tuple[str, int, int, int, str]:
        return (self.pos.path, self.pos.line, self.pos.column, self.severity.rank, self.rule)


@dataclass(frozen=True)
class Report:
    """Every finding of one run over some files, sorted by place, plus what was looked at."""

    findings: tuple[Finding, ...]
    files: tuple[str, ...]
    objects: int
    kuberay_version: str
    strict: bool = False
    texts: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)  # file -> text read
    counts: Counter[Severity] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.strict:  # --strict: a warning is an error, shown and counted as one
            promoted = tuple(replace(f, severity=Severity.ERROR) if f.severity == Severity.WARNING else f
                             for f in self.findings)
            object.__setattr__(self, "findings", promoted)
        object.__setattr__(self, "findings", tuple(sorted(self.findings, key=Finding.sort_key)))
        object.__setattr__(self, "counts", Counter(f.severity for f in self.findings))

    @property
    def errors(self) -> int:
        return self.counts[Severity.ERROR]

    @property
    def warnings(self) -> int:
        return self.counts[Severity.WARNING]

    @property
    def notes(self) -> int:
        return self.counts[Severity.NOTE]

    @property
    def unreadable(self) -> bool:
        """Some input could not be read, parsed or held nothing: the run is incomplete."""
        return any(f.layer == Layer.INPUT for f in self.findings)

    @property
    def exit_code(self) -> int:
        if self.unreadable:
            return 2
        return 1 if self.errors else 0
