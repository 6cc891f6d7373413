"""Journal JSON lines: what write_journal_lines writes, read_journal_lines reads back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.errors import InputError
from harness.report import read_journal_lines, write_journal_lines

from .builders import World, ttl_lifecycle


def test_every_entry_is_one_json_line_equal_to_its_to_dict(tmp_path: Path) -> None:
    world = World()
    ttl_lifecycle(world)
    path = tmp_path / "journal.jsonl"
    write_journal_lines(world.journal.entries, path)
    lines = path.read_text().splitlines()
    assert len(lines) == len(world.journal.entries)
    assert [json.loads(line) for line in lines] == [e.to_dict() for e in world.journal.entries]


def test_read_back_entries_equal_the_written_ones(tmp_path: Path) -> None:
    world = World()
    ttl_lifecycle(world)
    path = tmp_path / "journal.jsonl"
    write_journal_lines(world.journal.entries, path)
    back = read_journal_lines(path)
    assert [e.to_dict() for e in back] == [e.to_dict() for e in world.journal.entries]
    assert back[0].action == "apply"
    assert back[3].new("status.jobDeploymentStatus") == "Initializing"


def test_append_streams_entries_onto_an_existing_file(tmp_path: Path) -> None:
    world = World()
    ttl_lifecycle(world)
    entries = world.journal.entries
    path = tmp_path / "sub" / "journal.jsonl"
    write_journal_lines(entries[:5], path)
    write_journal_lines(entries[5:], path, append=True)
    assert [e.seq for e in read_journal_lines(path)] == [e.seq for e in entries]


def test_a_truncated_line_is_an_input_error_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    path.write_text('{"t": 0, "seq": 0, "type": "ADDED"}\n{"t": 1, "seq"\n')
    with pytest.raises(InputError) as info:
        read_journal_lines(path)
    assert f"{path}:2" in str(info.value)
    assert "Hint:" in str(info.value)


def test_a_line_without_required_keys_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    path.write_text('{"kind": "Pod"}\n')
    with pytest.raises(InputError, match="missing=t,seq,type"):
        read_journal_lines(path)


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read journal"):
        read_journal_lines(tmp_path / "nope.jsonl")
