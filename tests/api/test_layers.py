"""The package layout is the architecture: imports point downward only (DESIGN.md, "Layers").

Entry points (python -m harness; the pytest plugin, which reuses the CLI) → reports, runner → backends →
scenario language, the API server over a simulator → simulator facade, static validation before deployment →
KubeRay controllers, manifest validation, executors → the Ray side in pods → built-in Kubernetes controllers →
simulated machinery → journal, object model → small utilities. Layers of one rank do not import each other.

The backend-neutral front (runner, scenario language, reports, CLI, pytest plugin) never imports the simulator or
the operator model, neither directly nor through what it imports: it reaches them only through the backend
registry, which loads a backend when one is made.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "harness"
RANK = {
    "__main__": 10, "pytest_plugin": 10,  # the plugin renders results with the CLI's report conversion
    "cli": 9,
    "report": 7, "runner": 7,
    "backends": 6,
    "scenario": 5, "apiserver": 5,
    "simulator": 4, "validate": 4,
    "kuberay": 3, "manifests": 3, "executors": 3,
    "raysim": 2.5,
    "kube": 2,
    "sim": 1,
    "journal": 0, "model": 0,
    "_util": -1, "errors": -1,
}


SIMULATOR_SIDE = ("sim", "kuberay", "simulator", "raysim", "kube")
NEUTRAL_FRONT = ("runner", "scenario", "report", "cli", "pytest_plugin")


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


@pytest.mark.parametrize("front", NEUTRAL_FRONT)
def test_the_backend_neutral_front_names_no_simulator_module(front):
    offending = [f"{file}: imports harness.{dst}" for src, dst, file in _imports()
                 if src == front and dst in SIMULATOR_SIDE]
    assert offending == []


def test_importing_the_front_loads_no_simulator_module_through_what_it_imports():
    fronts = ["harness.runner", "harness.scenario", "harness.report", "harness.cli.main", "harness.cli.run",
              "harness.cli.simulate", "harness.pytest_plugin", "harness.backends.registry"]
    code = (f"import importlib, sys\nfor name in {fronts!r}: importlib.import_module(name)\n"
            f"print(' '.join(sorted(m for m in sys.modules if m.split('.')[1:2] and "
            f"m.split('.')[0] == 'harness' and m.split('.')[1] in {SIMULATOR_SIDE!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def _module_graph() -> dict[str, set[str]]:
    """Module -> the harness modules it imports, at import time or later in a function (a lazy import is still a
    dependency), except for type checking; a submodule importing its own package (to reach a sibling) is how
    packages work, not a dependency."""
    modules = {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__"): p
               for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps: set[str] = set()
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            for sub in ast.walk(node):
                if not isinstance(sub, ast.ImportFrom):
                    continue
                base = package.split(".")[: len(package.split(".")) - max(sub.level - 1, 0)] if sub.level else []
                target = ".".join(base + ([sub.module] if sub.module else [])) if sub.level else sub.module or ""
                for candidate in (target, *(f"{target}.{alias.name}" for alias in sub.names)):
                    if candidate in modules and not name.startswith(candidate + ".") and candidate != name:
                        deps.add(candidate)
        graph[name] = deps
    return graph


def test_no_module_imports_one_that_imports_it_back_even_lazily():
    graph = _module_graph()
    cycles: list[str] = []
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for dep in sorted(graph[module]):
            if state.get(dep) == 1:
                cycles.append(" -> ".join([*path[path.index(dep):], dep]))
            elif dep not in state:
                visit(dep)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert cycles == []
