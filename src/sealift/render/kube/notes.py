"""What Kubernetes cannot express (start order, jobs before their dependents), and the
YAML documents of a file."""

from __future__ import annotations

from typing import Any

from sealift.render.kube.context import Build
from sealift.render.kube.expr import HelmExprs
from sealift.yamltext import dump_yaml


def order_warnings(b: Build) -> None:
    """Kubernetes starts every workload at once; `depends_on` becomes restarts."""
    for name, spec in b.inp.model.components.items():
        if spec.depends_on:
            waits = ", ".join(f"{d.component} ({d.condition})" for d in spec.depends_on)
            b.warn(
                f"{name} waits for {waits} under sealift; Kubernetes has no start order, so "
                f"{name} starts at once and is restarted until what it needs answers"
            )
    for name, spec in b.inp.model.components.items():
        if spec.is_job:
            b.warn(_job_note(b, name))


def _job_note(b: Build, name: str) -> str:
    if isinstance(b.ex, HelmExprs):
        return (
            f"job {name} runs as a Helm post-install/post-upgrade hook once the other objects "
            "exist (jobs in dependency order); a job that needs another component is retried "
            "until it succeeds, and helm waits for it"
        )
    return (
        f"job {name} runs when applied; a Job cannot be changed, so `kubectl delete job "
        f"{name}` before applying another version"
    )


def documents(b: Build, objects: list[dict[str, Any]]) -> str:
    """Objects as one multi-document YAML text (templates filled in Helm mode)."""
    text = "---\n".join(dump_yaml(o) for o in objects)
    return b.ex.tokens.fill(text) if isinstance(b.ex, HelmExprs) else text


def bullet_list(lines: list[str]) -> str:
    return "".join(f"- {line}\n" for line in lines) or "- nothing\n"
