"""``validate --convert``: rewrite ray.io/v1alpha1 RayJobs (and RayClusters) as ray.io/v1, touching nothing else.

The two API versions share their fields (v1alpha1 was frozen in KubeRay v1.1.0 as a subset of v1), so converting
is mostly the apiVersion. The one field people carry over from old manifests and tutorials is ``runtimeEnv``: an
object (or, in KubeRay v1.0, base64-encoded JSON) that no version accepts any more. It becomes ``runtimeEnvYAML``,
a literal block holding the same YAML, at the same place, with its comments, and with Ray's key names
(``workingDir`` -> ``working_dir``).

The rewrite edits the text at the positions the loader recorded, so comments, quoting, order and layout are kept
byte for byte outside the changed lines. The result is parsed again before it is returned; what could not be
mapped is left as written and said in a note: a runtime_env key Ray does not know, ``runtimeEnv`` next to
``runtimeEnvYAML``, a value that is neither a mapping nor base64 JSON, a field ray.io/v1 does not have either.

Not here: validating the result (run ``validate`` on it).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import yaml

from .._util.jsoncopy import deep_copy
from ..errors import ManifestError, SourcePos
from ..manifests import Manifest, parse_manifests, validate_manifest
from .runtime_env import CONFIG_KEYS, RAY_KEYS, snake_case

_CONVERTED_KINDS: Final = ("RayJob", "RayCluster")
_OLD, _NEW = "ray.io/v1alpha1", "ray.io/v1"


@dataclass(frozen=True)
class Note:
    """Something the conversion left as written, and why."""

    pos: SourcePos
    message: str

    def __str__(self) -> str:
        return f"{self.pos}: {self.message}"


@dataclass(frozen=True)
class Conversion:
    text: str
    converted: int  # objects rewritten
    notes: tuple[Note, ...]


@dataclass(frozen=True)
class _Edit:
    """Replace lines ``first``..``last`` (0-based, inclusive) by ``lines``."""

    first: int
    last: int
    lines: tuple[str, ...]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block_end(lines: list[str], row: int, column: int) -> int:
    """The last line of the value of the key written at (``row``, ``column``): deeper-indented lines that follow."""
    end = row
    for index in range(row + 1, len(lines)):
        text = lines[index]
        if text.strip() == "" or text.lstrip().startswith("#"):
            continue
        if text.startswith("---") or _indent(text) <= column:
            break
        end = index
    return end


def _after_colon(line: str, column: int) -> str:
    """The value written after ``key:`` on the key's line ('' when there is none, or only a comment)."""
    rest = line[line.find(":", column) + 1:].strip()
    return "" if not rest or rest.startswith("#") else rest


def _dedent(line: str, depth: int) -> str:
    return line[depth:] if _indent(line) >= depth else line.lstrip(" ")


def _api_version_edit(m: Manifest, lines: list[str]) -> _Edit | None:
    pos = m.pos("apiVersion")
    row = pos.line - 1
    if not 0 <= row < len(lines):
        return None
    line = lines[row]
    new = re.sub(r"(apiVersion\s*:\s*[\"']?)ray\.io/v1alpha1([\"']?)", rf"\g<1>{_NEW}\g<2>", line, count=1)
    return _Edit(row, row, (new,)) if new != line else None


def _renamed(key: str, known: frozenset[str]) -> str | None:
    meant = snake_case(key)
    return meant if meant != key and meant in known else None


def _rename_keys(m: Manifest, block: list[str], first_row: int, notes: list[Note], value: Mapping[str, Any],
                 path: str) -> list[str]:
    """Rename camelCase runtime_env keys in the written lines, at the positions the loader recorded."""
    out = list(block)
    targets: list[tuple[str, str, frozenset[str]]] = [(path, str(k), RAY_KEYS) for k in value]
    config = value.get("config")
    if isinstance(config, Mapping):
        targets += [(f"{path}.config", str(k), CONFIG_KEYS) for k in config]
    placed = sorted(((m.pos(f"{parent}.{key}"), key, known) for parent, key, known in targets),
                    key=lambda item: (item[0].line, item[0].column), reverse=True)  # right to left: columns hold
    for where, key, known in placed:
        if key in known:
            continue
        meant = _renamed(key, known)
        if meant is None:
            notes.append(Note(where, f"runtime_env key {key!r} is not one Ray knows; left as written (Ray ignores "
                                     f"it)"))
            continue
        row, col = where.line - 1 - first_row, where.column - 1
        if 0 <= row < len(out) and out[row][col:col + len(key)] == key:
            out[row] = out[row][:col] + meant + out[row][col + len(key):]
        else:
            notes.append(Note(where, f"runtime_env key {key!r} could not be renamed to {meant!r} in place"))
    return out


def _runtime_env_edit(m: Manifest, lines: list[str], notes: list[Note]) -> _Edit | None:
    spec = m.obj.get("spec")
    if not isinstance(spec, Mapping) or "runtimeEnv" not in spec:
        return None
    where = m.pos("spec.runtimeEnv")
    if "runtimeEnvYAML" in spec:
        notes.append(Note(where, "runtimeEnv and runtimeEnvYAML are both set; runtimeEnv left as written (remove "
                                 "one of them)"))
        return None
    value = spec["runtimeEnv"]
    row, column = where.line - 1, where.column - 1
    end = _block_end(lines, row, column)
    pad = " " * column
    if isinstance(value, str):  # KubeRay v1.0: base64-encoded JSON
        try:
            decoded = json.loads(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            decoded = None
        if not isinstance(decoded, Mapping):
            notes.append(Note(where, "runtimeEnv is neither a mapping nor base64-encoded JSON; left as written"))
            return None
        mapped = {(_renamed(str(k), RAY_KEYS) or str(k)): v for k, v in decoded.items()}
        for key in decoded:
            if str(key) not in RAY_KEYS and _renamed(str(key), RAY_KEYS) is None:
                notes.append(Note(where, f"runtime_env key {key!r} is not one Ray knows; kept (Ray ignores it)"))
        body = yaml.safe_dump(mapped, sort_keys=False, default_flow_style=False).splitlines()
    elif isinstance(value, Mapping):
        inline = _after_colon(lines[row], column)  # a flow mapping on the key's own line
        first = row if inline else row + 1
        written = _rename_keys(m, lines[first:end + 1], first, notes, value, "spec.runtimeEnv")
        rest = written[1:] if inline else written
        depth = min((_indent(line) for line in rest if line.strip() and not line.lstrip().startswith("#")),
                    default=0)
        body = ([_after_colon(written[0], column)] if inline else []) + [_dedent(line, depth) for line in rest]
    else:
        notes.append(Note(where, "runtimeEnv is neither a mapping nor base64-encoded JSON; left as written"))
        return None
    block = tuple(f"{pad}  {line}".rstrip() for line in body)
    return _Edit(row, end, (f"{pad}runtimeEnvYAML: |", *block))


def _unmapped_fields(m: Manifest, notes: list[Note]) -> None:
    """Fields ray.io/v1 does not have either (runtimeEnv aside, which is converted)."""
    obj = deep_copy(m.obj)
    obj["apiVersion"] = _NEW
    if isinstance(obj.get("spec"), dict):
        obj["spec"].pop("runtimeEnv", None)
    result = validate_manifest(Manifest(obj, m.source, m.line, m.positions), field_validation="Ignore")
    for path in result.unknown_fields:
        notes.append(Note(m.pos(path), f"{path} is not a field of ray.io/v1 {m.kind} either; left as written"))


def convert_text(text: str, source: str) -> Conversion:
    """Rewrite every v1alpha1 RayJob and RayCluster in ``text`` as ray.io/v1. ManifestError if it is not YAML."""
    manifests = parse_manifests(text, source, checked=False)
    lines = text.splitlines()
    edits: list[_Edit] = []
    notes: list[Note] = []
    converted = 0
    for m in manifests:
        if m.kind not in _CONVERTED_KINDS or m.api_version != _OLD:
            continue
        api = _api_version_edit(m, lines)
        if api is None:
            notes.append(Note(m.pos("apiVersion"), "apiVersion could not be rewritten in place; left as written"))
            continue
        edits.append(api)
        if m.kind == "RayJob" and (env := _runtime_env_edit(m, lines, notes)) is not None:
            edits.append(env)
        _unmapped_fields(m, notes)
        converted += 1
    for edit in sorted(edits, key=lambda e: e.first, reverse=True):
        lines[edit.first:edit.last + 1] = edit.lines
    new_text = "\n".join(lines) + ("\n" if text.endswith("\n") or not text else "")
    try:
        parse_manifests(new_text, source, checked=False)
    except ManifestError as exc:  # a layout the line edits do not handle: refuse rather than corrupt the file
        raise ManifestError(f"the converted text is not valid YAML ({exc.message}); nothing was changed",
                            pos=SourcePos(source), hint="convert this file by hand") from None
    return Conversion(new_text, converted, tuple(sorted(notes, key=lambda n: (n.pos.line, n.pos.column))))
