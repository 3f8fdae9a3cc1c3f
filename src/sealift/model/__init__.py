"""The app model: `sealift.yaml` parsed, validated, parameterized and normalized.

Purely data-manipulative and computational: no I/O, no subprocess, no network.

The names below are imported on first use (PEP 562): the model's classes take pydantic
and ~0.3 s to build, which commands that never read a model (`history`, `status`,
`--help`) and importers of one light submodule (`sealift.model.units`) must not pay.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sealift.model.app import (
        AppModel,
        Component,
        ConfigFile,
        Dependency,
        ExecCheck,
        Health,
        HttpCheck,
        Parameter,
        Port,
        Resources,
        Security,
        SharedVolume,
        TcpCheck,
        Volume,
    )
    from sealift.model.load import parse_model_data, parse_model_text
    from sealift.model.units import parse_cpu, parse_duration, parse_quantity

_WHERE = {
    **dict.fromkeys(
        [
            "AppModel",
            "Component",
            "ConfigFile",
            "Dependency",
            "ExecCheck",
            "Health",
            "HttpCheck",
            "Parameter",
            "Port",
            "Resources",
            "Security",
            "SharedVolume",
            "TcpCheck",
            "Volume",
        ],
        "app",
    ),
    "parse_model_data": "load",
    "parse_model_text": "load",
    "parse_cpu": "units",
    "parse_duration": "units",
    "parse_quantity": "units",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"sealift.model.{_WHERE[name]}"), name)


# A literal list (not derived from _WHERE) so that linters and type checkers read it.
__all__ = [
    "AppModel",
    "Component",
    "ConfigFile",
    "Dependency",
    "ExecCheck",
    "Health",
    "HttpCheck",
    "Parameter",
    "Port",
    "Resources",
    "Security",
    "SharedVolume",
    "TcpCheck",
    "Volume",
    "parse_cpu",
    "parse_duration",
    "parse_model_data",
    "parse_model_text",
    "parse_quantity",
]
