"""One error tree for every condition a user can meet.

    SealiftError                    message is one line that says what to do next
    ├── ModelError                  sealift.yaml is invalid (lists every problem)
    ├── ConvertError                a compose file or manifest cannot be read
    ├── YamlError                   a YAML text is malformed, too deep or an alias bomb
    ├── StoreError                  the local OCI store is unusable
    │   └── CorruptBlobError        a blob does not match its digest
    ├── NotFoundError               an app version, image or installation is missing
    ├── AlreadyExistsError          an immutable thing exists already
    ├── ImageSourceError            an image cannot be read from a registry or a layout
    │   └── RegistryError
    │       └── AuthError
    ├── EngineError                 the Docker engine cannot be reached, or refused
    ├── PlatformError               a requested platform is missing
    ├── BundleError                 a bundle is corrupt, unsafe or incomplete
    │   └── SignatureError
    ├── DeployError                 install / upgrade / rollback failed
    │   └── OperationInterrupted    ... stopped by a signal (exit code 128 + its number)
    ├── LockedError                 another operation holds the lock
    ├── InUseError                  an installation still needs what was to be removed
    ├── DiskFullError               no space left while writing
    └── UsageError                  an argument is malformed

Tracebacks are for bugs: the CLI prints `error: <message>` for these and exits 1 (a
ModelError with several problems adds one indented line per problem). The foreign
exception an error was raised from stays its `__cause__`; `sealift --debug` prints that
chain, the user never sees it otherwise.
"""

from __future__ import annotations

import copy


class SealiftError(Exception):
    """Base of every error a user can cause or fix."""

    exit_code = 1

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

    @property
    def message(self) -> str:
        """Several problems: the head line, then one indented line per problem."""
        text = str(self)
        joined = ": " + "; ".join(self.problems)
        if len(self.problems) < 2 or not text.endswith(joined):
            return text
        return text[: -len(joined)] + ":\n" + "\n".join(f"  {p}" for p in self.problems)


class ConvertError(SealiftError):
    pass


class YamlError(SealiftError):
    """A YAML text cannot be read; `line` (from 1) says where, when known."""

    def __init__(self, problem: str, line: int | None = None) -> None:
        self.problem = problem
        self.line = line
        super().__init__(f"{problem} (line {line})" if line is not None else problem)


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


class EngineError(SealiftError):
    pass


class SystemdError(SealiftError):
    """systemctl, journalctl or systemd-analyze failed or did not answer in time (the
    systemd target), or the host does not meet what that target needs."""


class PlatformError(SealiftError):
    pass


class UnsafeImageError(SealiftError):
    """An image layer holds what would land outside its root directory (or cannot be
    applied at all) when it is flattened for the systemd target."""


class BundleError(SealiftError):
    @classmethod
    def corrupt(cls, detail: str) -> BundleError:
        """The bundle's bytes are damaged: copying it again is what helps."""
        return cls(
            f"bundle is corrupt: {detail}; copy it again from the original, "
            "or ask its vendor to export it again"
        )

    @classmethod
    def not_a_bundle(cls, name: str, why: str) -> BundleError:
        """`name` is some other file altogether."""
        return cls(
            f"{name} is not a sealift bundle ({why}); give the file that `sealift export` "
            "wrote (of a split bundle, its first part FILE.part001)"
        )

    @classmethod
    def unsafe(cls, detail: str) -> BundleError:
        """The bundle holds what `sealift export` never writes: it was made or changed by
        something else."""
        return cls(
            f"unsafe bundle: {detail}; it was not written by `sealift export` or was "
            "changed since: do not use it, ask its vendor for a new one"
        )


class SignatureError(BundleError):
    pass


class DeployError(SealiftError):
    pass


class OperationInterrupted(DeployError):
    def __init__(self, message: str, exit_code: int = 130) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class LockedError(SealiftError):
    pass


class InUseError(SealiftError):
    pass


class DiskFullError(SealiftError):
    pass


class UsageError(SealiftError):
    pass


class RuntimeBuildError(SealiftError):
    """The site runtime (sealift.pyz) cannot be built, read or started."""
