"""Preflight: can this machine run a kind cluster with KubeRay, and if not, what exactly should the person do.

Every check runs and every problem is reported at once (a person fixes them in one go): the Docker engine is
reachable; kind, kubectl and the docker client are on PATH and new enough (kind at least the release the node
image was built for); Helm, or else git for the release manifests; the engine has enough memory and disk for a
node, the operator and a Ray head and worker. Verdicts are pure functions of what was found
(:func:`judge_tools`, :func:`judge_resources`); :func:`run_preflight` gathers the facts from the real machine.

Not here: connecting to the engine (:mod:`.engine`), reading tool versions (:mod:`.tools`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from .catalog import Version, show_version
from .engine import Engine, EngineInfo, connect, engine_host, unreachable_problem
from .errors import PreflightError, Problem, ProvisioningError
from .tools import DOCKER_CLI, GIT, HELM, KIND, KUBECTL, ToolSpec, ToolStatus, probe

GiB: Final = 2**30
MIN_MEMORY: Final = 4 * GiB  # a node (~1 GiB), the operator (512 MiB limit), a Ray head and one worker
LOW_MEMORY: Final = 8 * GiB
MIN_DISK: Final = 10 * GiB  # the node image (~1 GiB) and a Ray image, once in Docker and once in the node
LOW_DISK: Final = 30 * GiB

InstallMethod = Literal["auto", "helm", "manifests"]


@dataclass(frozen=True)
class Needs:
    """What the planned cluster needs from the machine."""

    kind_minimum: Version = KIND.minimum
    install: InstallMethod = "auto"
    kind_reason: str = ""  # why kind_minimum, e.g. "kindest/node:v1.36.1 was built for kind v0.32.0"


@dataclass(frozen=True)
class PreflightReport:
    host: str
    engine: EngineInfo | None
    tools: Mapping[str, ToolStatus]
    problems: tuple[Problem, ...]
    notes: tuple[str, ...] = ()
    install: Literal["helm", "manifests"] | None = None  # how the operator will be installed

    def raise_if_failed(self) -> None:
        if self.problems:
            raise PreflightError(self.problems)


def _tool_problem(status: ToolStatus, minimum: Version, reason: str = "") -> Problem | None:
    spec = status.spec
    if status.path is None:
        return Problem(spec.name, f"{spec.name} is not on PATH; it {spec.purpose}", spec.install)
    if status.version is None:
        tail = status.output.splitlines()[-1] if status.output else "no output"
        return Problem(spec.name, f"{spec.name} at {status.path} did not report a version ({tail})", spec.install)
    if status.version < minimum:
        why = f" ({reason})" if reason else ""
        return Problem(spec.name, f"{spec.name} {show_version(status.version)} is older than "
                                  f"{show_version(minimum)}{why}", spec.install)
    return None


def judge_tools(tools: Mapping[str, ToolStatus], needs: Needs
                ) -> tuple[list[Problem], list[str], Literal["helm", "manifests"] | None]:
    """Problems with the tools, notes worth showing, and the install method they allow."""
    problems: list[Problem] = []
    notes: list[str] = []
    for name, minimum, reason in (("kind", needs.kind_minimum, needs.kind_reason), ("kubectl", KUBECTL.minimum, ""),
                                  ("docker", DOCKER_CLI.minimum, "")):
        problem = _tool_problem(tools[name], minimum, reason)
        if problem:
            problems.append(problem)
    helm, git = tools.get("helm"), tools.get("git")
    helm_problem = _tool_problem(helm, HELM.minimum) if helm else None
    git_problem = _tool_problem(git, GIT.minimum) if git else None
    method: Literal["helm", "manifests"] | None = None
    if needs.install == "helm" or (needs.install == "auto" and helm is not None and helm_problem is None):
        if helm_problem is not None:
            problems.append(helm_problem)
        else:
            method = "helm"
    elif needs.install == "manifests" or needs.install == "auto":
        if git_problem is not None:
            if needs.install == "auto":
                problems.append(Problem("helm", "neither Helm nor git is usable, so KubeRay cannot be installed",
                                        f"{HELM.install}; or {GIT.install}"))
            else:
                problems.append(git_problem)
        else:
            method = "manifests"
            if needs.install == "auto":
                notes.append("Helm is not available: KubeRay will be installed from the release manifests")
    return problems, notes, method


def judge_resources(info: EngineInfo, free_disk: int | None) -> tuple[list[Problem], list[str]]:
    problems: list[Problem] = []
    notes: list[str] = []
    if info.mem_total and info.mem_total < MIN_MEMORY:
        problems.append(Problem("memory", f"the Docker engine has {info.mem_total / GiB:.1f} GiB of memory, less than "
                                          f"the {MIN_MEMORY / GiB:.0f} GiB a node, the operator and a Ray cluster need",
                                "give Docker more memory (Docker Desktop: Settings > Resources; colima: "
                                "`colima start --memory 8`)"))
    elif info.mem_total and info.mem_total < LOW_MEMORY:
        notes.append(f"the Docker engine has {info.mem_total / GiB:.1f} GiB of memory; Ray pods may be evicted "
                     f"below {LOW_MEMORY / GiB:.0f} GiB")
    if free_disk is None:
        notes.append(f"free disk space of the engine ({info.root_dir or 'unknown folder'}) was not checked: it is "
                     "not on this machine's file system")
    elif free_disk < MIN_DISK:
        problems.append(Problem("disk", f"only {free_disk / GiB:.1f} GiB free under {info.root_dir}, less than the "
                                        f"{MIN_DISK / GiB:.0f} GiB a node image and a Ray image need",
                                "free space (`docker system prune` removes unused images and stopped containers)"))
    elif free_disk < LOW_DISK:
        notes.append(f"{free_disk / GiB:.1f} GiB free under {info.root_dir}; each Ray image needs several GiB")
    return problems, notes


def local_free_disk(info: EngineInfo) -> int | None:
    """Free bytes under the engine's root folder when that folder is on this machine (a local socket)."""
    if not info.host.startswith(("unix://", "npipe://")) or not info.root_dir or not os.path.isdir(info.root_dir):
        return None
    try:
        return shutil.disk_usage(info.root_dir).free
    except OSError:
        return None


def run_preflight(needs: Needs, env: Mapping[str, str] | None = None,
                  connect_engine: Callable[[Mapping[str, str]], Engine] | None = None,
                  ) -> tuple[Engine | None, PreflightReport]:
    """Check the real machine. The connected engine is returned (None when unreachable); the caller closes it."""
    environ = dict(env) if env is not None else dict(os.environ)
    host = engine_host(environ)
    engine: Engine | None = None
    problems: list[Problem] = []
    try:
        engine = (connect_engine or connect)(environ)
    except ProvisioningError as exc:
        problems.append(Problem("docker", exc.message, exc.hint or unreachable_problem(host, "").hint))
    specs: tuple[ToolSpec, ...] = (KIND, KUBECTL, DOCKER_CLI, HELM, GIT)
    tools = {spec.name: probe(spec, environ) for spec in specs}
    tool_problems, notes, method = judge_tools(tools, needs)
    problems += tool_problems
    info = None
    if engine is not None:
        try:
            info = engine.info()
        except ProvisioningError as exc:
            problems.append(Problem("docker", exc.message, exc.hint or ""))
        else:
            resource_problems, resource_notes = judge_resources(info, local_free_disk(info))
            problems += resource_problems
            notes += resource_notes
    report = PreflightReport(engine.host if engine else host, info, tools, tuple(problems), tuple(notes), method)
    return engine, report
