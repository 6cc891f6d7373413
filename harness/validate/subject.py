"""One object as the validator's layers see it: as written, as the API server would store it, as the operator reads it.

A :class:`Subject` carries the document (for positions), the API server's answer (for the object it would store:
pruned, defaulted, stored as ``ray.io/v1``), the typed RayJob the operator would read when the object is well
formed enough to read, the release, and every other input (for cross references). Layers build findings through
:meth:`Subject.finding`, which fills in the place, the object and the catalogue's severity.

Not here: the checks (layer modules), reading files (:mod:`.documents`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import SourcePos
from ..manifests import ValidationResult
from ..model.rayjob import RAY_CLUSTER_SELECTOR_KEY, RayJob
from .documents import Document, Inputs
from .findings import Finding, Severity
from .releases import Release
from .rules import rule


@dataclass(frozen=True)
class ClusterSpec:
    """The RayCluster spec a RayJob runs on: its own ``rayClusterSpec``, or the spec of the RayCluster its
    ``clusterSelector`` names when that RayCluster is among the inputs. ``path`` is where the spec is written in
    ``doc``."""

    spec: Mapping[str, Any]
    doc: Document
    path: str

    def at(self, relative: str) -> str:
        return f"{self.path}.{relative}" if relative else self.path


@dataclass(frozen=True)
class Subject:
    doc: Document
    result: ValidationResult
    inputs: Inputs
    release: Release
    job: RayJob | None = None  # the operator's typed view; None when the object cannot be read as a RayJob

    @property
    def stored(self) -> dict[str, Any]:
        return self.result.obj

    @property
    def ref(self) -> str:
        return f"{self.doc.manifest.kind}/{self.doc.namespace}/{self.doc.manifest.name}"

    def pos(self, path: str, doc: Document | None = None) -> SourcePos:
        return (doc or self.doc).manifest.pos(path)

    def finding(self, rule_id: str, message: str, fix: str, path: str = "", *, severity: Severity | None = None,
                pos: SourcePos | None = None, doc: Document | None = None) -> Finding:
        """A finding of catalogued rule ``rule_id`` at ``path`` of this object (or of ``doc``)."""
        where = doc or self.doc
        ref = f"{where.manifest.kind}/{where.namespace}/{where.manifest.name}"
        return Finding(rule_id, severity or rule(rule_id).severity, message, fix, pos or self.pos(path, where), ref,
                       path)

    def cluster_spec(self) -> ClusterSpec | None:
        """The RayCluster spec this object runs on (a RayCluster's own spec, a RayJob's embedded or selected one)."""
        if self.doc.manifest.kind == "RayCluster":
            spec = self.stored.get("spec")
            return ClusterSpec(spec, self.doc, "spec") if isinstance(spec, Mapping) else None
        spec = self.stored.get("spec")
        if not isinstance(spec, Mapping):
            return None
        embedded = spec.get("rayClusterSpec")
        selector = spec.get("clusterSelector")
        if isinstance(selector, Mapping) and selector:
            name = selector.get(RAY_CLUSTER_SELECTOR_KEY)
            found = self.inputs.find("RayCluster", self.doc.namespace, str(name)) if name else None
            cluster_spec = found.manifest.obj.get("spec") if found is not None else None
            if found is not None and isinstance(cluster_spec, Mapping):
                return ClusterSpec(cluster_spec, found, "spec")
            return None
        return ClusterSpec(embedded, self.doc, "spec.rayClusterSpec") if isinstance(embedded, Mapping) else None
