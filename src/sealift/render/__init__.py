"""Renderings of an app version for other tools: a Helm chart, plain Kubernetes manifests
with a kustomization, a compose file. Pure: no I/O, no subprocess, no network."""
