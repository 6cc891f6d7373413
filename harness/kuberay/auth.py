"""Token authentication of Ray clusters (``spec.authOptions``, KubeRay v1.5+; as at v1.7.0).

With ``authOptions.mode: token`` every Ray process of the cluster needs the same token:

- the RayCluster controller creates the Secret ``<cluster>`` (``reconcileAuthSecret``; not when
  ``authOptions.secretName`` names the user's own Secret, and not for Kubernetes-delegated auth) with the key
  ``auth_token`` (32 random bytes, base64), labelled ``ray.io/cluster`` and owned by the RayCluster;
- the head and worker Ray containers, the K8sJobMode submitter and the SidecarMode submitter get
  ``RAY_AUTH_MODE=token`` and ``RAY_AUTH_TOKEN`` from that Secret (``SetContainerTokenAuthEnvVars``: a variable
  the container already sets is left alone);
- the operator's dashboard client reads the Secret and sends ``x-ray-authorization: Bearer <token>``
  (``GetRayDashboardClientFunc``); a missing Secret or key fails building the client.

Note ``reconcileAuthSecret`` acts whenever ``authOptions`` is present with a mode other than ``disabled`` (an
empty mode too), while the env vars are set only for ``mode: token`` (``IsAuthEnabled``), as upstream.
Kubernetes-delegated auth (``enableK8sTokenAuth``) is not modelled. Not here: validation of ``authOptions``
(:mod:`.validation_cluster`).
"""

from __future__ import annotations

import base64
import hashlib
import string
from collections.abc import Mapping
from typing import Any, Final

from ..kube.images import decode_secret_value
from ..model.kinds import SECRET
from ..model.labels import LABEL_CLUSTER
from ..model.meta import controller_ref
from ..sim.store import ObjectStore

AUTH_MODE_ENV: Final = "RAY_AUTH_MODE"
AUTH_TOKEN_ENV: Final = "RAY_AUTH_TOKEN"
AUTH_TOKEN_KEY: Final = "auth_token"
MAX_NAME: Final = 50  # utils.CheckName


class AuthSecretError(Exception):
    """The operator cannot build a dashboard client for a token-auth cluster (its Secret or key is missing)."""


def check_name(name: str) -> str:
    """``utils.CheckName``: keep the last 50 characters; a leading digit or punctuation becomes ``r``."""
    if len(name) > MAX_NAME:
        name = name[-MAX_NAME:]
    if name and (name[0].isdigit() or name[0] in string.punctuation):
        name = "r" + name[1:]
    return name


def _options(cluster_spec: Mapping[str, Any]) -> Mapping[str, Any] | None:
    options = cluster_spec.get("authOptions")
    return options if isinstance(options, Mapping) else None


def auth_enabled(cluster_spec: Mapping[str, Any]) -> bool:
    """``IsAuthEnabled``: ``authOptions.mode`` is ``token``."""
    options = _options(cluster_spec)
    return options is not None and options.get("mode") == "token"


def secret_name(cluster_name: str, cluster_spec: Mapping[str, Any]) -> str:
    """The Secret holding the token: ``authOptions.secretName``, else the cluster's own ``CheckName(<cluster>)``."""
    options = _options(cluster_spec) or {}
    return str(options.get("secretName") or check_name(cluster_name))


def wants_generated_secret(cluster_spec: Mapping[str, Any]) -> bool:
    """``reconcileAuthSecret``'s conditions for creating the cluster's own Secret."""
    options = _options(cluster_spec)
    if options is None or options.get("mode") == "disabled":
        return False
    return options.get("enableK8sTokenAuth") is not True and not options.get("secretName")


def build_auth_secret(cluster: Mapping[str, Any]) -> dict[str, Any]:
    """``createAuthSecret``: 32 random bytes, base64 (derived from the cluster's uid, so runs repeat)."""
    meta = cluster["metadata"]
    token = base64.b64encode(hashlib.sha256(f"ray-auth-{meta['uid']}".encode()).digest()).decode()
    return {"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": check_name(meta["name"]), "namespace": meta["namespace"],
                         "labels": {LABEL_CLUSTER: meta["name"]}, "ownerReferences": [controller_ref(cluster)]},
            "stringData": {AUTH_TOKEN_KEY: token}}


def set_token_env(container: dict[str, Any], cluster_name: str, cluster_spec: Mapping[str, Any]) -> None:
    """``SetContainerTokenAuthEnvVars`` for token mode: add what the container does not set already."""
    env = list(container.get("env") or [])
    names = {item.get("name") for item in env}
    if AUTH_MODE_ENV not in names:
        env.append({"name": AUTH_MODE_ENV, "value": "token"})
    if AUTH_TOKEN_ENV not in names:
        env.append({"name": AUTH_TOKEN_ENV, "valueFrom": {"secretKeyRef": {
            "name": secret_name(cluster_name, cluster_spec), "key": AUTH_TOKEN_KEY}}})
    container["env"] = env


def operator_token(store: ObjectStore, cluster: Mapping[str, Any] | None) -> str | None:
    """The token the operator's dashboard client sends for ``cluster``, None without token auth."""
    if cluster is None or not auth_enabled(cluster.get("spec") or {}):
        return None
    namespace, name = cluster["metadata"]["namespace"], cluster["metadata"]["name"]
    wanted = secret_name(name, cluster["spec"])
    secret = store.find(SECRET, namespace, wanted)
    if secret is None:
        raise AuthSecretError(f"failed to get auth secret {namespace}/{wanted}: secrets \"{wanted}\" not found")
    data = secret.get("data") or {}
    if AUTH_TOKEN_KEY not in data:
        raise AuthSecretError(f"auth token key '\"{AUTH_TOKEN_KEY}\"' not found in secret {namespace}/{wanted}")
    return decode_secret_value(data[AUTH_TOKEN_KEY])
