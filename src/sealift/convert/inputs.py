"""What conversion takes in and gives back. The CLI reads every file; this package reads none."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SourceFile:
    """One compose file or manifest: its absolute path and its text."""

    path: str
    text: str

    @property
    def name(self) -> str:
        return posixpath.basename(self.path)


@dataclass(frozen=True)
class ConvertInput:
    """Everything a conversion may look at, collected beforehand by the caller.

    `files` maps absolute paths to texts (`.env`, env_file, bind-mounted files, config and
    secret files); `directories` holds referenced paths that are directories; `unreadable`
    maps referenced paths that could not be read to the reason. `environment` holds the
    shell's variables and `env_files` the `--env-file` paths (their texts in `files`); without
    `env_files`, the project directory's `.env` is read (as Compose does).
    """

    sources: tuple[SourceFile, ...]
    files: Mapping[str, str] = field(default_factory=dict)
    directories: frozenset[str] = frozenset()
    unreadable: Mapping[str, str] = field(default_factory=dict)
    name: str | None = None
    directory_name: str = ""
    environment: Mapping[str, str] = field(default_factory=dict)
    env_files: tuple[str, ...] = ()

    @property
    def project_dir(self) -> str:
        return posixpath.dirname(self.sources[0].path) if self.sources else ""

    @property
    def source_label(self) -> str:
        return ", ".join(source.name for source in self.sources)

    def resolve(self, path: str) -> str:
        """An absolute, normalized path for `path` relative to the project directory."""
        return posixpath.normpath(posixpath.join(self.project_dir, path))


@dataclass
class ConversionResult:
    """An app model as a plain dict (the shape of docs/app-model.md) and what was lost."""

    model: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
