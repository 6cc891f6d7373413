"""Typed views of the Kubernetes and KubeRay objects the simulator handles.

Raw objects (dicts, as an API server stores them) are parsed here once; controllers and assertions read these
typed views instead of digging through nested dicts. Nothing in this package performs I/O or reads a clock.
"""
