"""`sealift.yaml` text or data -> a validated AppModel, or one ModelError listing every problem."""

from __future__ import annotations

from pydantic import ValidationError

from sealift.errors import ModelError
from sealift.model.app import AppModel
from sealift.model.checks import check_rules
from sealift.model.problems import Lines, Problem, from_validation_error, render
from sealift.model.yamlread import read_yaml


def parse_model_text(text: str, source: str = "sealift.yaml") -> AppModel:
    data, lines, problems = read_yaml(text)
    if problems and data is None:
        raise ModelError(render(problems, lines), source)
    return _validate(data, source, lines, problems)


def parse_model_data(
    data: object,
    source: str = "sealift.yaml",
    lines: Lines | None = None,
    *,
    rendered: bool = False,
) -> AppModel:
    """Validate data already read (by YAML, JSON, or a converter); `lines` maps paths such as
    `("components", "api", "depends_on", 0)` to line numbers for the messages. A `rendered`
    model (parameters substituted) is not checked for `${name}` references."""
    return _validate(data, source, lines or {}, [], rendered)


def _validate(
    data: object, source: str, lines: Lines, problems: list[Problem], rendered: bool = False
) -> AppModel:
    problems = list(problems)
    model: AppModel | None = None
    try:
        model = AppModel.model_validate(data)
    except ValidationError as exc:
        problems += from_validation_error(exc, AppModel)
    problems += check_rules(data, rendered)
    if problems or model is None:
        raise ModelError(render(problems, lines), source)
    return model
