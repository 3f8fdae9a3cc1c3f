"""`sealift store check|gc`: verify the store, free what nothing uses."""

from __future__ import annotations

import sys
from typing import Any

import click

from sealift.cli import ui
from sealift.cli.context import Env
from sealift.market.catalog import Market
from sealift.market.format import owning_version
from sealift.oci.storecheck import Problem, StoreReport
from sealift.space import human_size

GARBAGE_HINT = "harmless; `sealift store gc` frees the space"


@click.group("store")
def store_group() -> None:
    """The local store ($SEALIFT_HOME/store, an OCI image layout)."""


@store_group.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def store_check(env: Env, as_json: bool) -> None:
    """Verify every blob's digest and that every reference resolves (exit 1 if not)."""
    report = Market(env.store).check()
    if as_json:
        ui.print_json(report_json(report))
    else:
        _print(report)
    if not report.ok:
        sys.exit(1)


@store_group.command("gc")
@click.pass_obj
def store_gc(env: Env) -> None:
    """Delete the blobs that no app version uses (waits for running publishes/imports)."""

    def waiting() -> None:
        ui.step("waiting for other commands that use the store to finish")

    count, freed = Market(env.store).layout.collect_garbage(on_wait=waiting) or (0, 0)
    ui.step(f"freed {count} blobs ({human_size(freed)})")


def fix_for(problem: Problem) -> str:
    """What to do about one problem, in words a user can follow."""
    if problem.kind == "index":
        return (
            "index.json is damaged: restore it from a backup, or move the store aside and "
            "import the bundles (or publish the versions) again"
        )
    versions = sorted({owning_version(r) for r in problem.refs})
    if not versions:
        return "nothing uses it: `sealift store gc` deletes it"
    removes = ", ".join(f"`sealift market remove {v}`" for v in versions)
    return (
        f"run {removes}, then import the bundle(s) carrying {', '.join(versions)} "
        "again (or publish again)"
    )


def report_json(report: StoreReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "blobs": report.blobs,
        "bytes": report.bytes,
        "entries": report.entries,
        "problems": [
            {
                "kind": p.kind,
                "digest": p.digest,
                "detail": p.detail,
                "versions": sorted({owning_version(r) for r in p.refs}),
                "refs": list(p.refs),
                "fix": fix_for(p),
            }
            for p in report.problems
        ],
        "garbage": {
            "blobs": len(report.garbage),
            "bytes": sum(report.garbage.values()),
            "fix": GARBAGE_HINT,
        },
    }


def _print(report: StoreReport) -> None:
    ui.out.print(
        f"{report.blobs} blobs ({human_size(report.bytes)}), {report.entries} names in index.json"
    )
    for problem in report.problems:
        ui.out.print(f"problem: {problem.detail}; {fix_for(problem)}")
    if report.garbage:
        ui.out.print(
            f"unused: {len(report.garbage)} blobs ({human_size(sum(report.garbage.values()))})"
            f", {GARBAGE_HINT}"
        )
    verdict = "the store is sound" if report.ok else f"{len(report.problems)} problem(s)"
    ui.out.print(verdict)


commands: list[click.Command] = [store_group]
