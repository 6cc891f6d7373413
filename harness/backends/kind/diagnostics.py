"""Evidence when provisioning (or a run on the cluster) fails: operator logs, events, descriptions, node logs.

What KubeRay's CI gathers on failure (``kubectl logs -l app.kubernetes.io/name=kuberay``, events), plus the
operator's previous container's logs (a crash loop shows there), a description of the operator Deployment and
pods (image pull errors, probe failures), and ``kind export logs`` (kubelet, containerd and control-plane logs
of every node). Each goes to its own file in the report folder. Collecting is best effort: a piece that
cannot be had (the API server is down) is noted in ``index.txt`` with the reason, never raised, because
diagnostics must not hide the failure they document.

Not here: deciding when to collect (:mod:`.provision`; later the Kubernetes backend, per scenario namespace).
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import commands
from .commands import Command, Target
from .errors import ProvisioningError
from .toolrun import execute, query


@dataclass(frozen=True)
class Collected:
    folder: Path
    files: tuple[str, ...]
    missing: tuple[tuple[str, str], ...]  # (what, why not)


def _save(folder: Path, name: str, command: Command, env: Mapping[str, str] | None) -> str | None:
    """Run a query and save its output as ``name``; the reason it could not be had otherwise."""
    try:
        result = query(command, env=env)
    except ProvisioningError as exc:
        return exc.message
    text = result.stdout + (f"\n--- stderr ---\n{result.stderr}" if result.stderr.strip() else "")
    (folder / name).write_text(f"$ {command}\n{text}")
    return None if result.returncode == 0 else (result.stderr.strip().splitlines() or ["failed"])[-1]


def collect(target: Target, folder: Path, *, operator_namespace: str, namespaces: Sequence[str] = (),
            node_logs: bool = True, env: Mapping[str, str] | None = None) -> Collected:
    """Gather what there is about ``target`` into ``folder``; returns what was saved and what was not."""
    folder.mkdir(parents=True, exist_ok=True)
    planned: list[tuple[str, Command]] = [
        ("operator.log", commands.operator_logs(target, operator_namespace)),
        ("operator-previous.log", commands.operator_logs(target, operator_namespace, previous=True)),
        ("operator-describe.txt", commands.describe_operator(target, operator_namespace)),
        ("events-all-namespaces.txt", commands.events(target, None)),
    ]
    planned += [(f"events-{namespace}.txt", commands.events(target, namespace)) for namespace in namespaces]
    files: list[str] = []
    missing: list[tuple[str, str]] = []
    for name, command in planned:
        reason = _save(folder, name, command, env)
        if (folder / name).exists():
            files.append(name)
        if reason:
            missing.append((name, reason))
    if node_logs:
        try:
            execute(commands.kind_export_logs(target, folder / "kind-logs"), log=folder / "kind-export-logs.log",
                    env=env)
            files.append("kind-logs/")
        except ProvisioningError as exc:
            missing.append(("kind-logs/", exc.message.splitlines()[0]))
        except (OSError, subprocess.SubprocessError) as exc:
            missing.append(("kind-logs/", str(exc)))
    lines = [f"Diagnostics of kind cluster {target.name} (context {target.context})", ""]
    lines += [f"  {name}" for name in files]
    if missing:
        lines += ["", "Not collected:"] + [f"  {name}: {why}" for name, why in missing]
    (folder / "index.txt").write_text("\n".join(lines) + "\n")
    return Collected(folder, tuple(files), tuple(missing))
