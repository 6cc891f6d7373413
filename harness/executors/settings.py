"""What a user can say about how Ray jobs run: executor names, scripted outcomes, and the one settings type.

Every front end (``run``, ``simulate``, the pytest plugin, Python) describes the executor it wants with these
types, and :func:`harness.executors.build.build_executor` turns an :class:`ExecutorSettings` into a running
executor. Pure data: importing this module imports neither Ray nor the simulator.

Not here: how ``auto`` is resolved (:mod:`.choice`), the executors themselves (:mod:`.scripted`,
:mod:`.ray_executor`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal, get_args

ExecutorName = Literal["scripted", "ray", "cluster"]
"""Who runs a scenario's Ray jobs: declared outcomes, a local Ray runtime, or a real cluster's own Ray."""
SimExecutorName = Literal["scripted", "ray"]
"""The executors the in-process simulator can run."""
ExecutorChoice = Literal["auto", "scripted", "ray"]
"""What a user may ask for; ``auto`` is resolved by :func:`harness.executors.choice.resolve_executor`."""

EXECUTOR_NAMES: Final[tuple[ExecutorName, ...]] = get_args(ExecutorName)
EXECUTOR_CHOICES: Final[tuple[ExecutorChoice, ...]] = get_args(ExecutorChoice)
RAY_INSTALL_HINT: Final = "install Ray with: pip install 'rayjob-harness[ray]'"


@dataclass(frozen=True)
class JobScript:
    """A declared outcome for a Ray job in the scripted executor.

    ``exit_code`` 0 ends SUCCEEDED, anything else FAILED (with Ray's JOB_ENTRYPOINT_COMMAND_ERROR wording);
    ``stopped=True`` ends STOPPED at ``runtime`` (as if someone ran ``ray job stop``). ``output`` lines are the
    driver's stdout. ``startup`` is the PENDING→RUNNING delay (the job supervisor starting).

    ``attempts`` scripts successive Ray jobs of one RayJob (a retry after ``backoffLimit``, a re-submission):
    the N-th Ray job submitted for the RayJob runs ``attempts[N-1]``, and the last one repeats. Without
    ``attempts`` every job runs this script.
    """

    runtime: float = 5.0
    exit_code: int = 0
    output: tuple[str, ...] = ()
    stopped: bool = False
    startup: float = 0.9
    attempts: tuple[JobScript, ...] = ()

    def for_attempt(self, attempt: int) -> JobScript:
        """The script of the ``attempt``-th (1-based) Ray job submitted for one RayJob."""
        if not self.attempts:
            return self
        return self.attempts[min(max(attempt, 1), len(self.attempts)) - 1]


@dataclass(frozen=True)
class JobScripts:
    """Scripted behaviour of every Ray job: a default, and overrides per submission id, RayJob name or entrypoint.

    ``default`` None means nothing was declared (:attr:`is_empty`); jobs then run ``JobScript()``.
    """

    default: JobScript | None = None
    by_entrypoint: Mapping[str, JobScript] = field(default_factory=dict)  # first substring found, in order
    by_rayjob: Mapping[str, JobScript] = field(default_factory=dict)
    by_submission_id: Mapping[str, JobScript] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return self.default is None and not self.by_entrypoint and not self.by_rayjob and not self.by_submission_id

    def script_for(self, *, submission_id: str, rayjob: str, entrypoint: str) -> JobScript:
        """The script of a job: an exact submission id, then the RayJob's name, then the first entrypoint
        substring, then the default."""
        if submission_id in self.by_submission_id:
            return self.by_submission_id[submission_id]
        if rayjob in self.by_rayjob:
            return self.by_rayjob[rayjob]
        return next((script for needle, script in self.by_entrypoint.items() if needle in entrypoint),
                    self.default or JobScript())


@dataclass(frozen=True)
class ExecutorSettings:
    """Everything an executor is built from: which one, the scripted behaviour, and the ray executor's paths.

    ``path_map`` maps container paths (or URIs) to local paths, relative to ``base_dir`` (default: the current
    directory); only the ray executor reads it, and only the scripted executor reads ``scripts``.
    """

    name: SimExecutorName = "scripted"
    scripts: JobScripts = field(default_factory=JobScripts)
    path_map: Mapping[str, str] = field(default_factory=dict)
    base_dir: Path | None = None
