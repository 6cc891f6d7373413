"""``validate --help`` and a one-file run start fast: they import neither Ray, nor a Kubernetes client, nor the
simulator and the runner (how fast is measured in ``benchmarks/bench_validate.py``)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .support import PROJECT, TUTORIAL

HEAVY = ("ray", "kubernetes", "harness.simulator", "harness.runner", "harness.executors.ray_executor",
         "harness.executors.ray_runtime", "rich")
PROBE = """
import contextlib, io, sys
from harness.cli.main import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main({args!r})
    except SystemExit:
        pass
heavy = {heavy!r}
print(",".join(sorted(m for m in sys.modules if m in heavy or m.split(".")[0] in ("ray", "kubernetes"))))
"""


@pytest.mark.parametrize("args", [["validate", "--help"], ["validate", str(TUTORIAL)],
                                  ["validate", "--format", "sarif", str(TUTORIAL)]], ids=["help", "run", "sarif"])
def test_validate_imports_neither_ray_nor_kubernetes_nor_the_simulator(args: list[str]):
    code = PROBE.format(args=args, heavy=HEAVY)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            cwd=PROJECT, env={"PYTHONPATH": str(PROJECT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
