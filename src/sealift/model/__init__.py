"""The app model: `sealift.yaml` parsed, validated, parameterized and normalized.

Purely data-manipulative and computational: no I/O, no subprocess, no network.
"""

from sealift.model.app import (
    AppModel,
    Component,
    ConfigFile,
    ExecCheck,
    Health,
    HttpCheck,
    Parameter,
    Port,
    Resources,
    TcpCheck,
    Volume,
)
from sealift.model.load import parse_model_data, parse_model_text
from sealift.model.units import parse_cpu, parse_duration, parse_quantity

__all__ = [
    "AppModel",
    "Component",
    "ConfigFile",
    "ExecCheck",
    "Health",
    "HttpCheck",
    "Parameter",
    "Port",
    "Resources",
    "TcpCheck",
    "Volume",
    "parse_cpu",
    "parse_duration",
    "parse_model_data",
    "parse_model_text",
    "parse_quantity",
]
