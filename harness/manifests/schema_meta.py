"""``metav1.ObjectMeta`` as a Go struct: the table kubectl and the API server decode ``metadata`` with.

Every object's metadata is decoded into this struct before anything else looks at it (see :mod:`.godecode`), so
each field has its Go type here: ``labels`` is ``map[string]string``, ``finalizers`` ``[]string``,
``ownerReferences`` ``[]v1.OwnerReference``, timestamps ``v1.Time`` (RFC 3339 text). Fields are those of
k8s.io/apimachinery v0.35.

Not here: what the values must look like once decoded (:mod:`.names`); the restricted ``metadata`` a CRD allows in
a Pod template (:mod:`.schema_pod`).
"""

from __future__ import annotations

from typing import Final

from .godecode import TIME
from .schema_nodes import Schema, array, boolean, int64, obj, opaque, str_map, string, strings

OWNER_REFERENCE: Final = obj({
    "apiVersion": string(),
    "blockOwnerDeletion": boolean(),
    "controller": boolean(),
    "kind": string(),
    "name": string(),
    "uid": string(go="types.UID"),
}, go="v1.OwnerReference")

MANAGED_FIELDS_ENTRY: Final = obj({
    "apiVersion": string(),
    "fieldsType": string(),
    "fieldsV1": opaque("v1.FieldsV1"),
    "manager": string(),
    "operation": string(go="v1.ManagedFieldsOperationType"),
    "subresource": string(),
    "time": string(go=TIME),
}, go="v1.ManagedFieldsEntry")

OBJECT_META: Final[Schema] = obj({
    "annotations": str_map(),
    "creationTimestamp": string(go=TIME),
    "deletionGracePeriodSeconds": int64(),
    "deletionTimestamp": string(go=TIME),
    "finalizers": strings(),
    "generateName": string(),
    "generation": int64(),
    "labels": str_map(),
    "managedFields": array(MANAGED_FIELDS_ENTRY),
    "name": string(),
    "namespace": string(),
    "ownerReferences": array(OWNER_REFERENCE),
    "resourceVersion": string(),
    "selfLink": string(),
    "uid": string(go="types.UID"),
}, go="v1.ObjectMeta")
