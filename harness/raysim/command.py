"""What a submitter container's ``command``/``args`` mean, and whether the simulator can run them.

Kubernetes runs ``command`` + ``args`` (expanding ``$(VAR)`` from the container's environment; ``$$`` escapes a
dollar). KubeRay leaves a user-set ``command`` untouched in K8sJobMode (``configureSubmitterContainer``), so what
runs is exactly what the manifest says: KubeRay's own ``/bin/bash -ce -- <script>``, a user's ``bash -c`` script,
``ray job submit ...`` in exec form, or the light-weight ``/submitter``.

:func:`plan_command` turns a container into a :class:`CommandPlan` (a parsed script, or one argv);
:func:`submitter_problem` says, before anything runs, why the simulator cannot run a container's command (an
unmodelled shell construct or a program it does not know), so the RayJob is refused with that reason instead of
running something else. Not here: running (:mod:`harness.kube.shell`, :mod:`.cli`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from ..kube.shell import Sequence, Shell, ShellError, Simple, parse, simple_commands
from .cli import COMMAND_NAMES, is_health_check

_K8S_VAR: Final = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")
SHELLS: Final = frozenset({"bash", "sh", "dash", "zsh"})


@dataclass(frozen=True)
class CommandPlan:
    """A container's process: a shell ``script`` (with ``errexit`` from ``-e``) or a single ``argv``."""

    argv: list[str]
    script: Sequence | None = None
    errexit: bool = False


def k8s_expand(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes' ``$(VAR)`` expansion of command and args: unknown names stay as written, ``$$`` is ``$``."""
    def value(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        return env[name] if name in env else match.group(0)

    return _K8S_VAR.sub(value, text)


def plan_command(container: Mapping[str, Any], env: Mapping[str, str]) -> CommandPlan:
    """The process a container runs; ShellError when it is a script this simulator cannot parse."""
    argv = [k8s_expand(str(word), env) for word in
            [*(container.get("command") or []), *(container.get("args") or [])]]
    if not argv or argv[0].rsplit("/", 1)[-1] not in SHELLS:
        return CommandPlan(argv)
    flags = ""
    rest = argv[1:]
    while rest and rest[0].startswith("-") and rest[0] != "--":
        flags += rest.pop(0).lstrip("-")
    if rest and rest[0] == "--":
        rest.pop(0)
    if "c" not in flags or not rest:
        raise ShellError(f"{argv[0]} without -c (a script file) is not modelled")
    return CommandPlan(argv, parse(rest[0]), errexit="e" in flags)


def _programs(plan: CommandPlan) -> list[Simple]:
    return [Simple(tuple(plan.argv))] if plan.script is None else simple_commands(plan.script)


def submitter_problem(container: Mapping[str, Any]) -> str | None:
    """Why the simulator cannot run this submitter container's command, or None when it can."""
    try:
        plan = plan_command(container, {})
    except ShellError as exc:
        return f"its command is a shell script the simulator cannot run: {exc}"
    if not plan.argv:
        return "it has no command"
    known = Shell({name: _never for name in COMMAND_NAMES})
    for program in _programs(plan):
        name = program.words[0]
        if not known.knows(name):
            return f"it runs {name!r}, a program the simulator does not model"
        if name.rsplit("/", 1)[-1].startswith("python") and not is_health_check(list(program.words)):
            return "it runs python code other than KubeRay's dashboard health check, which the simulator " \
                   "does not model"
    return None


def _never(argv: list[str], proc: Any) -> Any:  # a stand-in: the table is only asked what it knows
    raise AssertionError("not run")
