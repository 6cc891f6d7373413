"""The end of a ``simulate`` run as a gate: a verdict per RayJob, why it ended there, the logs, the exit code.

After the journal, the summary gives each RayJob one line (``ok`` or ``FAIL`` against the outcome asked for, its
deployment and job status, reason and counters), its status message, then for a RayJob that failed or did not
settle the lines of :func:`harness.runner.explain.explain` and the flags that show more (``--logs operator``).
Outcomes of the scripted executor are labelled as such: "Job finished successfully." for an entrypoint that was
never run is a declaration, not a result. The exit code is 0 when every RayJob ended as asked, else 1.

Everything is plain lines written once, never wrapped to the terminal's width, so piped output reads the same.
Not here: running (:mod:`.simulate`), deciding and explaining (``harness.runner``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, TextIO

from .._util.durations import format_duration
from ..backends.base import Backend, LogSource
from ..backends.logs import read_driver_log
from ..errors import HarnessError
from ..model.enums import JobDeploymentStatus, JobFailedReason
from ..runner.explain import explain
from ..runner.outcomes import Expectation, RayJobOutcome, Verdict, judge, outcome_of, rayjobs_seen

_SUMMARY_KINDS: Final = ("RayJob", "RayCluster", "Job", "Pod", "Service")
# Reasons under which status.message is Ray's own job message (the scripted executor's, when it runs the jobs).
_RAY_MESSAGE_REASONS: Final = ("", JobFailedReason.APP_FAILED.value)
SCRIPTED_NOTE: Final = "scripted outcome: the entrypoint was not run"
SCRIPTED_HEADER: Final = ("Ray jobs: scripted (executor=scripted): each ended as the --job-* flags declare "
                          "(default: SUCCEEDED after 5s); no entrypoint was run")


@dataclass(frozen=True)
class RunFacts:
    """What the summary says about the run as a whole."""

    settled: bool
    duration: float  # --for
    scripted: bool  # the scripted executor ran the Ray jobs
    sources: Mapping[tuple[str, str], str]  # (namespace, name) of each RayJob -> the manifest that defined it
    logs: Sequence[LogSource] = ()  # the logs printed after the summary


def outcomes(backend: Backend) -> list[RayJobOutcome]:
    """Every RayJob of the run (deleted ones too) as it ended."""
    return [outcome_of(backend.journal, ns, name, backend.get("RayJob", name, namespace=ns))
            for ns, name in rayjobs_seen(backend.journal)]


def judge_run(backend: Backend, expectations: Sequence[Expectation]) -> list[Verdict]:
    """Each RayJob of the run against the outcome asked for."""
    return judge(outcomes(backend), expectations)


def _message_lines(outcome: RayJobOutcome, scripted: bool) -> list[str]:
    if not outcome.message:
        return []
    first, *rest = outcome.message.splitlines() or [""]
    more = f" (+{len(rest)} lines)" if rest else ""
    label = f" ({SCRIPTED_NOTE})" if scripted and outcome.job_status and outcome.reason in _RAY_MESSAGE_REASONS \
        else ""
    return [f"    message: {first}{more}{label}"]


def _more(logs: Sequence[LogSource], shown: Sequence[LogSource]) -> str:
    return ", ".join(f"--logs {source}" + (" (below)" if source in shown else "") for source in logs)


def _rayjob_lines(backend: Backend, verdict: Verdict, facts: RunFacts) -> list[str]:
    o = verdict.outcome
    mark = "ok  " if verdict.met else "FAIL"
    lines = [f"  {mark} RayJob {o.ref}: deployment={o.deployment.value or 'New'} job={o.job_status or '-'} "
             f"reason={o.reason or '-'} succeeded={o.succeeded} failed={o.failed} "
             f"(expected {verdict.expected.describe()})"]
    lines += _message_lines(o, facts.scripted)
    if o.deployment is JobDeploymentStatus.COMPLETE and verdict.met:
        return lines
    try:
        found = explain(backend, o)
    except HarnessError as exc:  # evidence that cannot be read must not hide the verdict
        lines.append(f"    why: (cannot be read: {exc.message})")
        return lines
    lines += [f"    why: {line}" for line in found.why]
    if found.logs:
        lines.append(f"    more: {_more(found.logs, facts.logs)}")
    source = facts.sources.get((o.namespace, o.name))
    if found.refused_spec and source:
        lines.append(f"    check before deploying: rayjob-harness validate {source}")
    return lines


def summary(backend: Backend, verdicts: Sequence[Verdict], facts: RunFacts) -> str:
    """The summary printed after the journal."""
    stopped = "" if facts.settled else \
        f" (stopped by --for {format_duration(facts.duration)}; not every RayJob settled)"
    lines = ["", f"After {format_duration(backend.now())} of virtual time{stopped}:"]
    if facts.scripted and verdicts:
        lines.append(f"  {SCRIPTED_HEADER}")
    for verdict in verdicts:
        lines += _rayjob_lines(backend, verdict, facts)
    remaining = [f"{kind}/{obj['metadata']['name']}" for kind in _SUMMARY_KINDS
                 for obj in backend.list(kind, namespace=None)]
    lines.append("  objects: " + (", ".join(remaining) if remaining else "none"))
    lines.append(result_line(verdicts))
    return "\n".join(lines)


def result_line(verdicts: Sequence[Verdict]) -> str:
    if not verdicts:
        return "Result: no RayJob in the manifests, nothing to check (exit 0)"
    missed = [v for v in verdicts if not v.met]
    if not missed:
        return f"Result: {_count(len(verdicts))} ended as expected (exit 0)"
    return f"Result: {len(missed)} of {_count(len(verdicts))} did not end as expected (exit 1)"


def _count(n: int) -> str:
    return f"{n} RayJob" + ("" if n == 1 else "s")


def exit_code(verdicts: Sequence[Verdict]) -> int:
    return 0 if all(v.met for v in verdicts) else 1


def print_logs(backend: Backend, source: LogSource, *, scripted: bool, out: TextIO) -> None:
    """The ``source`` log of every RayJob of the run, each under a ``==> ... <==`` header; one that cannot be read
    says why and where to look instead."""
    for namespace, name in rayjobs_seen(backend.journal):
        header = f"==> {source} log of RayJob {namespace}/{name}"
        try:
            log = read_driver_log(backend, namespace=namespace, rayjob=name) if source == "driver" else \
                backend.logs(namespace=namespace, source=source, rayjob=name)
        except HarnessError as exc:
            print(f"{header}: not available: {exc.message}", file=out)
            if exc.hint:
                print(f"    Hint: {exc.hint}", file=out)
            continue
        notes = [log.note] if log.note else []
        if scripted and source in ("driver", "submitter"):
            notes.append("the driver's lines are scripted: the entrypoint was not run")
        print(header + (f" ({'; '.join(notes)})" if notes else "") + " <==", file=out)
        print(log.text.rstrip("\n"), file=out)
