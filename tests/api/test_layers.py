"""The package layout is the architecture: imports point downward only (DESIGN.md, "Layers").

Entry points (python -m harness; the pytest plugin, which reuses the CLI) → reports, runner → backends →
scenario language, executors → simulator facade, static validation before deployment → KubeRay controllers,
manifest validation → built-in Kubernetes controllers → simulated world core → object model → small utilities.
Layers of one rank do not import each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "harness"
RANK = {
    "__main__": 10, "pytest_plugin": 10,  # the plugin renders results with the CLI's report conversion
    "cli": 9,
    "report": 7, "runner": 7,
    "backends": 6,
    "scenario": 5, "executors": 5,
    "simulator": 4, "validate": 4,
    "kuberay": 3, "manifests": 3,
    "kube": 2,
    "sim": 1,
    "model": 0,
    "_util": -1, "errors": -1,
}


def _imports() -> list[tuple[str, str, str]]:
    """(importing layer, imported layer, file) for every import between layers of the package."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts  # ("harness", layer, ...)
        if len(parts) == 2 and parts[1] == "__init__":
            continue  # the root re-exports the public names of every layer
        layer = parts[1]
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                anchor = list(parts[: len(parts) - node.level])
                target = anchor + (node.module.split(".") if node.module else [])
            elif node.module and node.module.startswith("harness."):
                target = node.module.split(".")
            else:
                continue
            if len(target) >= 2 and target[1] != layer:
                found.append((layer, target[1], str(path.relative_to(PACKAGE.parent))))
    return found


def test_every_layer_of_the_package_has_a_rank():
    layers = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
              if (p.suffix == ".py" and p.stem != "__init__") or (p.is_dir() and (p / "__init__.py").exists())}
    assert layers == set(RANK)


def test_imports_point_downward_only():
    upward = [f"{file}: {src} (rank {RANK[src]}) imports {dst} (rank {RANK[dst]})"
              for src, dst, file in _imports() if RANK[dst] >= RANK[src]]
    assert upward == []
