"""The interfaces call only the declared library surface of the operations layer: a
module named in its package's `__all__`, and in it a name of the module's `__all__`."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import sealift.cli
import sealift.web

PACKAGES = ("sealift.bundle", "sealift.deploy", "sealift.market")
CLI = Path(sealift.cli.__file__).parent
WEB = Path(sealift.web.__file__).parent  # the web console: the same surface as the CLI


def _uses(tree: ast.Module) -> list[tuple[str, str]]:
    """(module, name) for every name the file takes from an operations package."""
    aliases: dict[str, str] = {}
    found: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                if node.module in PACKAGES:  # `from sealift.deploy import queries`
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                elif node.module.rpartition(".")[0] in PACKAGES:
                    found.append((node.module, alias.name))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
        ):
            found.append((aliases[node.value.id], node.attr))
    return found


def _all_uses() -> list[tuple[str, str, str]]:
    return [
        (path.name, module, name)
        for path in [*sorted(CLI.glob("*.py")), *sorted(WEB.glob("*.py"))]
        for module, name in _uses(ast.parse(path.read_text()))
    ]


def test_the_cli_reaches_into_the_operations_layer() -> None:
    modules = {module for _, module, _ in _all_uses()}
    assert {"sealift.bundle.importer", "sealift.deploy.operations"} <= modules
    assert {"sealift.market.publish", "sealift.deploy.queries"} <= modules


@pytest.mark.parametrize(("file", "module", "name"), _all_uses())
def test_every_name_the_cli_uses_is_declared(file: str, module: str, name: str) -> None:
    package, _, short = module.rpartition(".")
    assert short in importlib.import_module(package).__all__, f"{file}: {module} is private"
    assert name in importlib.import_module(module).__all__, f"{file}: {module}.{name} is private"


@pytest.mark.parametrize("package", PACKAGES)
def test_every_declared_name_exists(package: str) -> None:
    for short in importlib.import_module(package).__all__:
        module = importlib.import_module(f"{package}.{short}")
        missing = [name for name in module.__all__ if not hasattr(module, name)]
        assert missing == [], f"{package}.{short} declares what it lacks"
