"""Which executor runs a scenario's Ray jobs when the user said ``auto``, and whether real Ray is there at all.

The one rule, the same for ``run``, ``simulate``, the pytest plugin and Python callers: an explicit choice always
wins; otherwise a run that declares scripted behaviour (runtimes, exit codes, output) stays scripted, one that
may only run on Ray, or maps container paths to local ones (which only the ray executor reads), runs on Ray,
and anything else runs its entrypoint for real when Ray is installed, so that a scenario about a user's own
entrypoint really runs it. A run that needs Ray where none is installed is skipped
with :func:`ray_missing_reason`, never failed.

"Installed" means a real ``ray`` distribution whose package is what ``import ray`` would load: a namespace
package (a test folder named ``ray/`` without ``__init__.py`` on ``sys.path``) or a stray ``ray`` folder is not
Ray. The check reads package metadata only; it never imports Ray.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from collections.abc import Sequence
from pathlib import Path

from .settings import RAY_INSTALL_HINT, ExecutorChoice, SimExecutorName


def ray_importable() -> bool:
    """True when ``import ray`` would load an installed Ray distribution (see the module docstring)."""
    return package_installed("ray", "ray")


def package_installed(package: str, distribution: str) -> bool:
    """True when ``import <package>`` would load that package from the installed ``distribution``."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None or not spec.origin.endswith("__init__.py"):
        return False  # absent, or a namespace package made of folders with that name
    try:
        found = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return False  # a package folder of someone's own, not the distribution
    installed = Path(str(found.locate_file(f"{package}/__init__.py")))
    try:
        return installed.resolve() == Path(spec.origin).resolve()
    except OSError:
        return False


def resolve_executor(requested: ExecutorChoice, *, scripted: bool, allowed: Sequence[str] | None = None,
                     paths: bool = False, ray_present: bool | None = None) -> SimExecutorName:
    """The executor a run uses.

    ``scripted``: the run declares scripted behaviour. ``allowed``: the executors a scenario restricts itself to
    (None: any). ``paths``: the run maps container paths to local ones. ``ray_present``: whether Ray is
    installed (None: check). A run that needs ``ray`` resolves to it even without Ray, so that it is skipped (or
    refused) for that reason rather than run on the wrong executor.
    """
    if requested != "auto":
        return requested
    if scripted:
        return "scripted"
    if allowed is not None and "ray" not in allowed:
        return "scripted"
    if (allowed is not None and "scripted" not in allowed) or paths:
        return "ray"
    present = ray_importable() if ray_present is None else ray_present
    return "ray" if present else "scripted"


def ray_missing_reason(executor: str) -> str | None:
    """Why a run on ``executor`` cannot happen here (Ray not installed), or None when it can."""
    if executor != "ray" or ray_importable():
        return None
    return f"executor=ray needs Ray, which is not installed here; {RAY_INSTALL_HINT}"
