"""The exception tree of rayjob-harness.

Every error the harness raises on purpose derives from :class:`HarnessError`. Errors that concern user input
(manifests, scenario files, command-line flags) derive from :class:`InputError`; the CLI turns those into a
one-paragraph message and exit code 2 instead of a traceback. Errors carry the context a person needs to act:
the place (file:line:column), what happened (``name=value``) and a ``Hint:``.

Kubernetes API semantics errors (NotFound, AlreadyExists, Conflict, Invalid) live in :mod:`harness.sim.store`'s
:class:`ApiError` subtree so that controllers can branch on them as upstream does on ``errors.IsNotFound``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourcePos:
    """A position in a source file; lines and columns count from 1, as editors show them."""

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.path
        if self.column <= 0:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}:{self.column}"


class HarnessError(Exception):
    """Root of every error raised by rayjob-harness on purpose."""

    def __init__(self, message: str, *, hint: str | None = None, pos: SourcePos | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.pos = pos

    def __str__(self) -> str:
        text = f"{self.pos}: {self.message}" if self.pos else self.message
        if self.hint:
            text += f"\n  Hint: {self.hint}"
        return text


class InputError(HarnessError):
    """Bad user input: a manifest, a scenario file, a flag. Exit code 2 from the CLI."""


class ManifestError(InputError):
    """A Kubernetes manifest cannot be read or would be rejected by the API server."""


class ManifestRefused(ManifestError):
    """The API server refuses a manifest: ``code`` and ``reason`` of its ``metav1.Status`` (400 BadRequest for
    decoding, 422 Invalid for validation), ``status_message`` the Status's message (what client libraries show)."""

    def __init__(self, message: str, *, code: int, reason: str, status_message: str, hint: str | None = None,
                 pos: SourcePos | None = None) -> None:
        super().__init__(message, hint=hint, pos=pos)
        self.code = code
        self.reason = reason
        self.status_message = status_message


class ScenarioError(InputError):
    """A scenario file is malformed; raised at load time, before anything runs."""


class SimulationError(HarnessError):
    """The simulation cannot continue (for example a wait ran out of virtual time)."""


class DeletionTimeout(HarnessError):
    """A deletion was waited for and the object was still there when the time ran out (a finalizer holds it)."""


class ExecutorError(HarnessError):
    """An executor cannot run a Ray job (missing dependency, runtime failed to start)."""


class MissingDependencyError(ExecutorError):
    """An optional dependency is not installed; the message says which extra to install."""
