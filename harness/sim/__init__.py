"""The simulated Kubernetes machinery: virtual clock, object store with API semantics, watch, events, work queues.

This package knows Kubernetes API semantics but nothing of KubeRay's controllers (``harness.kuberay``), of the
built-in workload controllers (``harness.kube``) or of Ray (``harness.raysim``); those sit above it and drive it
through the clock and the store. It never reads the wall clock, except in the real-time pacing variant of the
clock (:mod:`.clock`).
"""
