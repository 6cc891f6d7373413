"""Variants of the manifests in ``data/``: a file with some of its text replaced, written to a test's tmp folder."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"
TTL = DATA / "rayjob-ttl.yaml"


def variant(tmp_path: Path, name: str, *replacements: tuple[str, str], source: Path = TTL) -> Path:
    """``source`` (the TTL RayJob by default) with each (old, new) replaced once or more; each old must occur."""
    text = source.read_text()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text)
    return path
