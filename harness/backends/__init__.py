"""Backends: the one seam between what a scenario does and where it runs (the simulator, or a Kubernetes API)."""
