"""Read YAML and remember the line of every mapping key and sequence item."""

from __future__ import annotations

import yaml

from sealift.model.problems import Path, Problem


def read_yaml(text: str) -> tuple[object, dict[Path, int], list[Problem]]:
    """(data, lines, problems): a syntax error or a duplicate key is a problem, not a crash."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        return None, {}, [((), _syntax_message(exc))]
    finally:
        loader.dispose()
    lines: dict[Path, int] = {}
    problems: list[Problem] = []
    if node is not None:
        _walk(node, (), lines, problems, set())
    return data, lines, problems


def _syntax_message(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    what = getattr(exc, "problem", None) or str(exc)
    where = f" (line {mark.line + 1})" if mark is not None else ""
    return f"invalid YAML: {what}{where}"  # no path: the line is all there is


def _walk(
    node: yaml.Node, path: Path, lines: dict[Path, int], problems: list[Problem], open_: set[int]
) -> None:
    if id(node) in open_:  # a recursive alias
        return
    open_.add(id(node))
    if isinstance(node, yaml.MappingNode):
        _walk_mapping(node, path, lines, problems, open_)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.setdefault((*path, index), item.start_mark.line + 1)
            _walk(item, (*path, index), lines, problems, open_)
    open_.discard(id(node))


def _walk_mapping(
    node: yaml.MappingNode,
    path: Path,
    lines: dict[Path, int],
    problems: list[Problem],
    open_: set[int],
) -> None:
    seen: set[str] = set()
    for key_node, value_node in node.value:
        key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
        child = (*path, key)
        if key in seen and key != "<<":
            problems.append((child, f"duplicate key '{key}': keep only one"))
        seen.add(key)
        lines[child] = key_node.start_mark.line + 1  # the last one is the one PyYAML keeps
        _walk(value_node, child, lines, problems, open_)
