"""The simulated Kubernetes world: virtual clock, object store with API semantics, events, journal, dashboard.

This package knows Kubernetes API semantics but nothing of KubeRay's controllers (``harness.kuberay``) or of
the built-in workload controllers (``harness.kube``); those sit above it and drive it through the clock and the
store. It never reads the wall clock, except in the real-time pacing variant of the clock (:mod:`.clock`).
"""
