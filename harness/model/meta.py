"""Typed view of ``metadata`` and owner references, shared by every kind."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class OwnerReference:
    api_version: str
    kind: str
    name: str
    uid: str
    controller: bool = False
    block_owner_deletion: bool = False

    def to_raw(self) -> dict[str, Any]:
        return {"apiVersion": self.api_version, "kind": self.kind, "name": self.name, "uid": self.uid,
                "controller": self.controller, "blockOwnerDeletion": self.block_owner_deletion}


@dataclass(frozen=True)
class ObjectMeta:
    name: str
    namespace: str = ""
    uid: str = ""
    resource_version: str = ""
    generation: int = 0
    creation_timestamp: str = ""
    deletion_timestamp: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    finalizers: tuple[str, ...] = ()
    owner_references: tuple[OwnerReference, ...] = ()

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any] | None) -> ObjectMeta:
        raw = raw or {}
        return cls(
            name=str(raw.get("name", "")),
            namespace=str(raw.get("namespace", "")),
            uid=str(raw.get("uid", "")),
            resource_version=str(raw.get("resourceVersion", "")),
            generation=int(raw.get("generation", 0) or 0),
            creation_timestamp=str(raw.get("creationTimestamp", "")),
            deletion_timestamp=raw.get("deletionTimestamp"),
            labels=dict(raw.get("labels") or {}),
            annotations=dict(raw.get("annotations") or {}),
            finalizers=tuple(raw.get("finalizers") or ()),
            owner_references=tuple(
                OwnerReference(r.get("apiVersion", ""), r.get("kind", ""), r.get("name", ""), r.get("uid", ""),
                               bool(r.get("controller")), bool(r.get("blockOwnerDeletion")))
                for r in raw.get("ownerReferences") or ()),
        )

    def controller_owner(self) -> OwnerReference | None:
        return next((ref for ref in self.owner_references if ref.controller), None)


def controller_ref(obj: Mapping[str, Any]) -> dict[str, Any]:
    """An ownerReference making ``obj`` the controller of a dependent (``ctrl.SetControllerReference``)."""
    meta = obj["metadata"]
    return OwnerReference(obj["apiVersion"], obj["kind"], meta["name"], meta["uid"], True, True).to_raw()
