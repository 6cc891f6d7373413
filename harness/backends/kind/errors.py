"""The errors of kind provisioning, in the harness's exception tree.

Two kinds of trouble: the request or a data file is wrong (:class:`ClusterInputError`, an ``InputError``: exit
code 2, nothing was touched), or the machine or a tool let us down (:class:`ProvisioningError`: exit code 1,
with the command, its output's tail and a hint). A refusal to touch a cluster the harness did not create is
input (:class:`NotOursError`): the user named it, and the fix is theirs to choose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ...errors import HarnessError, InputError, SourcePos


class ClusterInputError(InputError):
    """A kind config, a catalog file, a version or a flag given to provisioning is wrong."""


class NotOursError(ClusterInputError):
    """A kind cluster or kubeconfig context the harness did not create (or cannot prove it created)."""


class ProvisioningError(HarnessError):
    """Creating, checking or tearing down a cluster failed; the message says which step and why."""


@dataclass(frozen=True)
class Problem:
    """One thing preflight found wrong: what, and what to do about it."""

    check: str  # "docker", "kind", "memory", ...
    message: str
    hint: str

    def __str__(self) -> str:
        return f"{self.message}\n    Hint: {self.hint}"


class PreflightError(ProvisioningError):
    """The machine cannot run a kind cluster yet; every problem found is listed, each with its fix."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        lines = [f"the machine is not ready for a kind cluster ({len(self.problems)} problem"
                 f"{'s' if len(self.problems) != 1 else ''}):"]
        lines += [f"  - {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


def config_error(message: str, pos: SourcePos | None, hint: str) -> ClusterInputError:
    return ClusterInputError(message, pos=pos, hint=hint)
