"""Kubernetes objects of an app version, shared by the Helm chart and the plain manifests."""
