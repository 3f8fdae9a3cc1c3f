"""Names that fit the app model: components, apps and volumes are [a-z0-9-]."""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sealift.convert.inputs import ConvertInput

MAX_NAME = 63
GENERIC_DIRECTORIES = frozenset(
    [
        "release",
        "releases",
        "kubernetes",
        "k8s",
        "kube",
        "deploy",
        "deployment",
        "deployments",
        "manifests",
        "compose",
        "docker",
        "docker-compose",
        "helm",
        "base",
        "overlays",
        "config",
    ]
)
"""Directory names that say where manifests live, not which app they describe."""


def dns_name(text: str, fallback: str = "app") -> str:
    """`My_Project.v2` -> `my-project-v2`: lower case, runs of other characters become `-`."""
    name = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    name = name[:MAX_NAME].rstrip("-")
    return name or fallback


def parameter_name(text: str) -> str:
    """`db-credentials/password` -> `db_credentials_password` ([A-Za-z_][A-Za-z0-9_]*)."""
    name = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_") or "value"
    return "_" + name if name[0].isdigit() else name


def escape_template(text: str) -> str:
    """Literal text placed where the model substitutes `${name}`: `${` becomes `$${`."""
    return text.replace("${", "$${")


def app_name(inp: ConvertInput) -> str:
    """The directory's name, or its parent's when it is generic (`deploy`, `k8s`, `compose`)."""
    name = inp.directory_name or posixpath.basename(inp.project_dir)
    parent = posixpath.basename(posixpath.dirname(inp.project_dir))
    if name.lower() in GENERIC_DIRECTORIES and parent:
        return parent
    return name
