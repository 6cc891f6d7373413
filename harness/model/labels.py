"""The labels, annotations and well-known names KubeRay puts on the objects it creates (v1.7.0 ``utils/constant.go``).

They are facts about objects, read by more than the operator: the Ray processes in pods find their role and
their cluster through them, and log sources find pods by them. Not here: who sets them (``harness.kuberay``).
"""

from __future__ import annotations

from typing import Final

LABEL_CLUSTER: Final = "ray.io/cluster"
LABEL_NODE_TYPE: Final = "ray.io/node-type"  # "head" or "worker"
LABEL_GROUP: Final = "ray.io/group"
LABEL_IDENTIFIER: Final = "ray.io/identifier"
LABEL_ORIGIN_NAME: Final = "ray.io/originated-from-cr-name"
LABEL_ORIGIN_CRD: Final = "ray.io/originated-from-crd"
LABEL_SUBMISSION_MODE: Final = "ray.io/job-submission-mode"
LABEL_JOB_NAME: Final = "job-name"  # set by the batch/v1 Job controller on the pods of a Job
DISABLE_HEAD_RESTART: Final = "ray.io/disable-provisioned-head-restart"
SUBMITTER_CONTAINER: Final = "ray-job-submitter"  # the SidecarMode submitter container in the head pod
LABEL_CRONJOB_NAME: Final = "ray.io/cronjob-name"  # on the RayJobs a RayCronJob creates (v1.6+)
ANNOTATION_CRONJOB_TIMESTAMP: Final = "ray.io/cronjob-scheduled-timestamp"
