"""What a finished scenario run hands to the reporters: typed records, nothing rendered yet.

A :class:`ScenarioReport` is the one value every reporter reads (the HTML page, JUnit XML, the rich summary
table); the runner builds it once per scenario. It carries the journal entries themselves so that a report can
be rendered again later without the backend. Rendering lives next door (:mod:`.timeline_text`, :mod:`.html`,
:mod:`.junit`, :mod:`.summary`); writing files lives in :mod:`.output`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from ..journal import JournalEntry

PASSED: Final = "passed"
FAILED: Final = "failed"
ERROR: Final = "error"
SKIPPED: Final = "skipped"
STATUSES: Final = (PASSED, FAILED, ERROR, SKIPPED)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_NAME = 100


def _check_status(owner: str, status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"{owner} status={status!r} is not one of {', '.join(STATUSES)}")


@dataclass(frozen=True)
class StepRecord:
    """One scenario step as it ran: its position, its source text, when it ran (virtual seconds), the outcome."""

    index: int
    text: str
    t_start: float
    t_end: float
    status: str  # passed | failed | error | skipped
    message: str | None = None

    def __post_init__(self) -> None:
        _check_status("step", self.status)

    @property
    def duration(self) -> float:
        return max(0.0, self.t_end - self.t_start)


@dataclass(frozen=True)
class ScenarioReport:
    """Everything known about one scenario run once it is over."""

    name: str
    file: str
    status: str  # passed | failed | error | skipped
    backend: str
    executor: str
    kuberay_version: str
    duration_wall: float
    duration_virtual: float
    failure: str | None
    steps: tuple[StepRecord, ...]
    journal_entries: tuple[JournalEntry, ...]
    namespace: str = ""

    def __post_init__(self) -> None:
        _check_status("scenario", self.status)

    @property
    def failed_steps(self) -> tuple[StepRecord, ...]:
        return tuple(step for step in self.steps if step.status in (FAILED, ERROR))


def safe_name(name: str) -> str:
    """A file-system-safe folder name for a scenario: ``ttl cleanup/v1`` becomes ``ttl-cleanup-v1``.

    Only ASCII letters, digits, ``.``, ``_`` and ``-`` survive; the result never starts with a dot (no hidden
    folders, no ``..``) and is never empty.
    """
    text = _UNSAFE.sub("-", name).strip("-.")
    text = re.sub(r"-{2,}", "-", text)[:_MAX_NAME].rstrip("-.")
    return text or "scenario"
