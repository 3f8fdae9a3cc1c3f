"""The Docker target driver (docker-py is imported only inside this package)."""

from sealift.targets.docker.target import DockerSettings, DockerTarget

__all__ = ["DockerSettings", "DockerTarget"]
