"""One error tree for every condition a user can meet.

    SealiftError                    message is one line that says what to do next
    ├── ModelError                  sealift.yaml is invalid (lists every problem)
    ├── ConvertError                a compose file or manifest cannot be read
    ├── StoreError                  the local OCI store is unusable
    │   └── CorruptBlobError        a blob does not match its digest
    ├── NotFoundError               an app version, image or installation is missing
    ├── AlreadyExistsError          an immutable thing exists already
    ├── ImageSourceError            an image cannot be read from engine or registry
    │   ├── RegistryError
    │   │   └── AuthError
    │   └── EngineError
    ├── PlatformError               a requested platform is missing
    ├── BundleError                 a bundle is corrupt, unsafe or incomplete
    │   └── SignatureError
    ├── DeployError                 install / upgrade / rollback failed
    ├── LockedError                 another operation holds the lock
    ├── DiskFullError               no space left while writing
    └── UsageError                  an argument is malformed

Tracebacks are for bugs: the CLI prints `error: <message>` for these and exits 1.
"""

from __future__ import annotations

import copy


class SealiftError(Exception):
    """Base of every error a user can cause or fix."""

    @property
    def message(self) -> str:
        return str(self)

    def prefixed(self, prefix: str) -> SealiftError:
        """The same kind of error with `prefix` put before its message."""
        clone = copy.copy(self)
        clone.args = (f"{prefix}{self}",)
        return clone


class ModelError(SealiftError):
    """An app model failed validation; `problems` holds every one found."""

    def __init__(self, problems: list[str], source: str = "sealift.yaml") -> None:
        self.problems = problems
        self.source = source
        count = len(problems)
        head = f"{source}: {count} problem{'s' if count != 1 else ''}"
        super().__init__(head + ": " + "; ".join(problems))


class ConvertError(SealiftError):
    pass


class StoreError(SealiftError):
    pass


class CorruptBlobError(StoreError):
    pass


class NotFoundError(SealiftError):
    pass


class AlreadyExistsError(SealiftError):
    pass


class ImageSourceError(SealiftError):
    pass


class RegistryError(ImageSourceError):
    pass


class AuthError(RegistryError):
    pass


class EngineError(ImageSourceError):
    pass


class PlatformError(SealiftError):
    pass


class BundleError(SealiftError):
    pass


class SignatureError(BundleError):
    pass


class DeployError(SealiftError):
    pass


class LockedError(SealiftError):
    pass


class DiskFullError(SealiftError):
    pass


class UsageError(SealiftError):
    pass
