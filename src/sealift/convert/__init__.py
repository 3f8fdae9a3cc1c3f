"""Compose files and Kubernetes manifests -> app model dicts (pure: no I/O).

The caller reads the files into a `ConvertInput`; for compose, `referenced_paths` names the
further files (`.env` aside) whose texts it should add before calling `convert_compose`.
"""

from __future__ import annotations

from typing import Literal

from sealift.convert.compose import convert_compose, dotenv_path, referenced_paths
from sealift.convert.documents import is_kubernetes, load_documents
from sealift.convert.inputs import ConversionResult, ConvertInput, SourceFile
from sealift.convert.kubernetes import convert_kubernetes

__all__ = [
    "ConversionResult",
    "ConvertInput",
    "SourceFile",
    "convert_compose",
    "convert_kubernetes",
    "detect_format",
    "dotenv_path",
    "referenced_paths",
]

Format = Literal["compose", "kubernetes"]


def detect_format(inp: ConvertInput) -> Format:
    """Kubernetes when any document has `apiVersion` and `kind`, else compose."""
    for source in inp.sources:
        if is_kubernetes(load_documents(source)):
            return "kubernetes"
    return "compose"
