"""Every scenario example in docs/scenarios.md loads: the documentation speaks the language the loader reads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.scenario import load_text

DOCS = Path(__file__).parents[2] / "docs" / "scenarios.md"
RAYJOB = Path(__file__).parent / "data" / "manifests" / "rayjob.yaml"


def examples() -> list[str]:
    """The yaml blocks of the docs that are scenarios (their first non-comment line starts with ``scenario:``)."""
    if not DOCS.is_file():
        return []
    blocks = [b.split("```", 1)[0] for b in DOCS.read_text().split("```yaml\n")[1:]]
    return [b for b in blocks
            if next((line for line in b.splitlines() if not line.startswith("#")), "").startswith("scenario:")]


def example_id(example: str) -> str:
    return next(line for line in example.splitlines() if line.startswith("scenario:")).split(":", 1)[1].strip()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    for name in ("rayjob.yaml", "rayjob-ttl.yaml"):
        shutil.copy(RAYJOB, manifests / name)
    (manifests / "config.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: config}\ndata: {a: b}\n")
    return tmp_path


def test_the_docs_have_scenario_examples() -> None:
    assert len(examples()) >= 10


@pytest.mark.parametrize("example", examples(), ids=example_id)
def test_every_scenario_example_in_the_docs_loads(example: str, folder: Path) -> None:
    assert load_text(example, "docs-example.yaml", base_dir=folder)
