"""Parameter values given on the command line: `--set K=V` and `--values FILE` (YAML)."""

from __future__ import annotations

from pathlib import Path

import yaml

from sealift.errors import DeployError


def parse_given(sets: list[str], values_files: list[Path]) -> dict[str, str]:
    """Values from files (in order), then `--set` (which wins)."""
    given: dict[str, str] = {}
    for path in values_files:
        given.update({k: _text(v) for k, v in _read_values(path).items()})
    for item in sets:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise DeployError(f"--set {item!r} is not KEY=VALUE (for example public_port=8080)")
        given[key.strip()] = value
    return given


def _read_values(path: Path) -> dict[str, object]:
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise DeployError(f"cannot read values file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise DeployError(f"values file {path} is not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise DeployError(f"values file {path} must be a mapping of parameter: value")
    return dict(data)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
