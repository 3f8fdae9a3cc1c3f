"""`sealift.yaml` text or data -> a validated AppModel, or one ModelError listing every problem."""

from __future__ import annotations

from pydantic import ValidationError

from sealift.errors import ModelError, YamlError
from sealift.model.app import AppModel
from sealift.model.checks import check_rules
from sealift.model.problems import Lines, Problem, from_validation_error, render
from sealift.yamltext import load_yaml


def parse_model_text(text: str, source: str = "sealift.yaml") -> AppModel:
    """Read as YAML 1.2 (`on`, `0022` stay as written); a duplicate key is a problem too."""
    try:
        document = load_yaml(text)
    except YamlError as exc:
        raise ModelError([f"invalid YAML: {exc}"], source) from None
    problems: list[Problem] = [
        (path, f"duplicate key '{path[-1]}': keep only one") for path in document.duplicates
    ]
    return _validate(document.data, source, document.lines, problems)


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
