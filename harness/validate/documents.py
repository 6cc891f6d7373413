"""The inputs of ``validate``: files, folders (optionally recursive) and standard input, read into documents.

Unlike the simulator's loader, nothing here stops at the first problem. A file that cannot be read or parsed
becomes an ``input/unreadable`` finding and the other files are still checked; an argument that yields no object
at all is ``input/empty``. Each document keeps its source text, so that a finding inside embedded YAML (a
``runtimeEnvYAML`` block) can point at its exact line. :class:`Inputs` also answers cross-reference questions: the
ConfigMap a volume names, the RayCluster a ``clusterSelector`` names.

Not here: checking the objects (the layers); the YAML conversion and positions (``harness.manifests``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Final, TextIO

from ..errors import ManifestError, SourcePos
from ..manifests import Manifest, parse_manifests
from .findings import Finding, Severity

YAML_SUFFIXES: Final = (".yaml", ".yml")
STDIN: Final = "-"


@dataclass(frozen=True)
class Source:
    """One input file (or standard input) and its text."""

    name: str
    text: str

    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()


@dataclass(frozen=True)
class Document:
    """One Kubernetes object as written, with the file it came from."""

    manifest: Manifest
    source: Source

    @property
    def namespace(self) -> str:
        return self.manifest.namespace or "default"


@dataclass(frozen=True)
class Inputs:
    """Everything read: the documents in order, the problems met while reading, and the files looked at."""

    documents: tuple[Document, ...]
    findings: tuple[Finding, ...] = ()
    files: tuple[str, ...] = ()
    texts: Mapping[str, str] = field(default_factory=dict)  # file -> its text, for quoting source lines
    _by_name: dict[tuple[str, str, str], Document] = field(default_factory=dict, init=False, repr=False,
                                                           compare=False)

    def __post_init__(self) -> None:
        for doc in self.documents:  # the last definition wins, as with kubectl apply
            self._by_name[(doc.manifest.kind, doc.namespace, doc.manifest.name)] = doc

    def find(self, kind: str, namespace: str, name: str) -> Document | None:
        """The document defining ``kind`` ``namespace/name`` among the inputs, if any."""
        return self._by_name.get((kind, namespace, name))


def _unreadable(message: str, hint: str | None, pos: SourcePos) -> Finding:
    return Finding("input/unreadable", Severity.ERROR, message, hint or "fix the file so that kubectl can read it",
                   pos)


def _files(argument: str, recursive: bool) -> list[Path] | None:
    """The YAML files an argument names; None when it names nothing that exists."""
    path = Path(argument)
    if path.is_dir():
        found = path.rglob("*") if recursive else path.iterdir()
        return sorted(p for p in found if p.is_file() and p.suffix in YAML_SUFFIXES
                      and not any(part.startswith(".") for part in p.relative_to(path).parts))
    return [path] if path.exists() else None


def _read(path: Path) -> Source | Finding:
    try:
        return Source(str(path), path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return _unreadable(f"file is not UTF-8 text path={str(path)!r}", "manifests are UTF-8 text files",
                           SourcePos(str(path)))
    except OSError as exc:
        return _unreadable(f"file cannot be read path={str(path)!r}: {exc.strerror or exc}",
                           "check the path and its permissions", SourcePos(str(path)))


def _parse(source: Source) -> tuple[list[Document], list[Finding]]:
    try:
        manifests = parse_manifests(source.text, source.name, checked=False)
    except ManifestError as exc:
        return [], [_unreadable(exc.message, exc.hint, exc.pos or SourcePos(source.name))]
    return [Document(m, source) for m in manifests], []


def input_files(arguments: Sequence[str], *, recursive: bool = False) -> tuple[list[str], list[Finding]]:
    """The files the arguments name, in order (``-`` stays ``-``), and a finding for each that names nothing."""
    files: list[str] = []
    missing: list[Finding] = []
    for argument in arguments:
        found = [STDIN] if argument == STDIN else _files(argument, recursive)
        if found is None:
            missing.append(_unreadable(f"no such file or folder path={argument!r}",
                                       "check the path; relative paths start from the current directory",
                                       SourcePos(argument)))
        else:
            files += [str(f) for f in found]
    return files, missing


def _sources(argument: str, recursive: bool, stdin: TextIO) -> Iterator[Source | Finding]:
    files, missing = input_files([argument], recursive=recursive)
    yield from missing
    for file in files:
        yield Source("<stdin>", stdin.read()) if file == STDIN else _read(Path(file))


def read_inputs(arguments: Sequence[str], *, recursive: bool = False, stdin: TextIO | None = None) -> Inputs:
    """Read every file an argument names (``-`` is standard input); problems become findings, never exceptions."""
    documents: list[Document] = []
    findings: list[Finding] = []
    texts: dict[str, str] = {}
    for argument in arguments:
        found_before, problems_before = len(documents), len(findings)
        for item in _sources(argument, recursive, stdin or sys.stdin):
            if isinstance(item, Finding):
                findings.append(item)
                continue
            texts[item.name] = item.text
            docs, problems = _parse(item)
            documents += docs
            findings += problems
        if len(documents) == found_before and len(findings) == problems_before:
            folder = Path(argument).is_dir()
            what = "folder holds no *.yaml or *.yml file with any" if folder else "input holds no"
            hint = "give a file with at least one object (apiVersion, kind, metadata, spec)"
            findings.append(Finding("input/empty", Severity.ERROR, f"{what} Kubernetes object path={argument!r}",
                                    hint + ("; add -R to search sub-folders" if folder and not recursive else ""),
                                    SourcePos(argument if argument != STDIN else "<stdin>")))
    return Inputs(tuple(documents), tuple(findings), tuple(texts), texts)
