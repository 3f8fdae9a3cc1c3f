"""YAML text <-> Python data: the one way sealift reads and writes YAML (sealift.yaml, values
files, compose files, Kubernetes manifests).

Read as YAML 1.2, as Compose reads it: `on`, `yes`, `no`, `12:30` stay strings, and a number
remembers how it was written (`str()` of `0022` is "0022", its value 22), so a value meant as
text keeps what the user wrote. Hostile input is bounded: forbidden characters, nesting deeper
than MAX_DEPTH and alias expansion past MAX_ALIAS_NODES are refused with a YamlError naming the
line, before any large structure is built. (The size of a file is checked by its reader,
`files.read_text_limited`.)
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Union

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, ComposerError, MaxDepthExceededError
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.representer import SafeRepresenter
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scanner import Scanner

from sealift.errors import YamlError

MAX_DEPTH = 100
"""Nesting levels of mappings and sequences (real files use fewer than 30)."""
MAX_ALIAS_NODES = 100_000
"""Nodes an alias may add by repeating what it refers to, over the whole file."""

KeyPath = tuple[Union[str, int], ...]
_FORBIDDEN = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class WrittenInt(int):
    """An integer read from YAML; `str()` gives the text as written (`0022`, `1_000`)."""

    written: str

    def __new__(cls, value: int, written: str) -> WrittenInt:
        number = super().__new__(cls, value)
        number.written = written
        return number

    def __getnewargs__(self) -> tuple[int, str]:  # type: ignore[override]
        return int(self), self.written

    def __str__(self) -> str:
        return self.written


class WrittenFloat(float):
    """A float read from YAML; `str()` gives the text as written (`1.50`, `1e3`)."""

    written: str

    def __new__(cls, value: float, written: str) -> WrittenFloat:
        number = super().__new__(cls, value)
        number.written = written
        return number

    def __getnewargs__(self) -> tuple[float, str]:  # type: ignore[override]
        return float(self), self.written

    def __str__(self) -> str:
        return self.written


@dataclass
class Document:
    """One YAML document: its data, the line of every key and item, and repeated keys."""

    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    duplicates: list[KeyPath] = field(default_factory=list)


def load_yaml(text: str) -> Document:
    """The single document of `text` (`data` is None for an empty text)."""
    documents = load_all(text)
    if len(documents) > 1:
        raise YamlError("expected one YAML document, found several (a second `---`)", None)
    return documents[0] if documents else Document(None)


def load_all(text: str) -> list[Document]:
    """Every document of a (multi-document) text, empty ones included as data None."""
    _check_characters(text)
    yaml = _loader()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nodes = list(yaml.compose_all(text))
            return [_document(yaml.constructor, node) for node in nodes]
    except MaxDepthExceededError as exc:
        raise YamlError(f"nested deeper than {MAX_DEPTH} levels", _line(exc)) from None
    except MarkedYAMLError as exc:
        raise YamlError(_problem(exc), _line(exc)) from None
    except YAMLError as exc:
        raise YamlError(str(exc).splitlines()[0], None) from None


def _check_characters(text: str) -> None:
    bad = _FORBIDDEN.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        raise YamlError(
            f"control character U+{ord(bad.group()):04X} is not allowed in YAML (remove it, "
            f'or write it as the escape "\\u{ord(bad.group()):04x}" inside double quotes)',
            line,
        )


def _problem(exc: MarkedYAMLError) -> str:
    return str(exc.problem or exc.context or "unreadable YAML").strip()


def _line(exc: MarkedYAMLError) -> int | None:
    mark = exc.problem_mark or exc.context_mark
    return int(mark.line) + 1 if mark is not None else None


class _BoundedScanner(Scanner):
    """Refuses deep `[[[...` before it scans ahead through all of them."""

    def fetch_flow_collection_start(self, TokenClass: Any, to_push: str) -> None:
        if len(self.flow_context) >= MAX_DEPTH:
            mark = self.reader.get_mark()
            raise MaxDepthExceededError(None, None, "nested too deep", mark)
        super().fetch_flow_collection_start(TokenClass, to_push)


class _BoundedComposer(Composer):
    """Counts the nodes aliases add (without building them) and refuses recursive aliases."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self.total = 0
        self.aliased = 0
        self.sizes: dict[int, int] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            node = super().compose_node(parent, index)
            self._expand(self.sizes.get(id(node)), event)
            return node
        start = self.total
        self.total += 1
        node = super().compose_node(parent, index)
        if event.anchor is not None:
            self.sizes[id(node)] = self.total - start
        return node

    def _expand(self, size: int | None, event: AliasEvent) -> None:
        if size is None:
            raise ComposerError(
                None, None, f"alias *{event.anchor} refers to itself", event.start_mark
            )
        self.total += size
        self.aliased += size
        if self.aliased > MAX_ALIAS_NODES:
            raise ComposerError(
                None,
                None,
                f"aliases expand to more than {MAX_ALIAS_NODES} nodes "
                f"(at *{event.anchor}); is this an alias bomb?",
                event.start_mark,
            )


class _Constructor(SafeConstructor):
    """Numbers keep their written text; timestamps stay strings (YAML 1.2 has none)."""

    def construct_written_int(self, node: ScalarNode) -> WrittenInt:
        return WrittenInt(self.construct_yaml_int(node), str(node.value))

    def construct_written_float(self, node: ScalarNode) -> WrittenFloat:
        return WrittenFloat(self.construct_yaml_float(node), str(node.value))


_Constructor.add_constructor("tag:yaml.org,2002:int", _Constructor.construct_written_int)
_Constructor.add_constructor("tag:yaml.org,2002:float", _Constructor.construct_written_float)
_Constructor.add_constructor("tag:yaml.org,2002:timestamp", SafeConstructor.construct_yaml_str)


def _loader() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.Scanner = _BoundedScanner
    yaml.Composer = _BoundedComposer
    yaml.Constructor = _Constructor
    yaml.max_depth = MAX_DEPTH
    yaml.allow_duplicate_keys = True  # found by _Lines and reported with their line
    return yaml


def _document(constructor: Any, node: Node | None) -> Document:
    if node is None:
        return Document(None)
    lines = _Lines()
    lines.walk(node, ())  # before construction, which folds `<<` merges into the nodes
    return Document(constructor.construct_document(node), lines.lines, lines.duplicates)


class _Lines:
    """The line of every mapping key and sequence item, and the keys given twice."""

    def __init__(self) -> None:
        self.lines: dict[KeyPath, int] = {}
        self.duplicates: list[KeyPath] = []
        self.checked: set[int] = set()  # mappings reached again through an alias

    def walk(self, node: Node, path: KeyPath, merged: bool = False) -> None:
        if isinstance(node, MappingNode):
            self._mapping(node, path, merged)
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                self.lines.setdefault((*path, index), item.start_mark.line + 1)
                self.walk(item, (*path, index))

    def _mapping(self, node: MappingNode, path: KeyPath, merged: bool) -> None:
        seen: set[str] = set()
        merges: list[Node] = []
        check = not merged and id(node) not in self.checked
        self.checked.add(id(node))
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, ScalarNode) else "?"
            if key == "<<" and key_node.tag == "tag:yaml.org,2002:merge":
                merges.append(value_node)
                continue
            child = (*path, key)
            if key in seen and check:
                self.duplicates.append(child)
            seen.add(key)
            if merged:
                self.lines.setdefault(child, key_node.start_mark.line + 1)
            else:
                self.lines[child] = key_node.start_mark.line + 1
            self.walk(value_node, child)
        for value_node in merges:  # keys written in the mapping win over merged ones
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                self.walk(source, path, merged=True)


def dump_yaml(data: Any) -> str:
    """Block-style YAML in the data's key order; multi-line text as `|` blocks, and strings
    that a YAML 1.1 or 1.2 reader would take for something else (`on`, `0022`) quoted."""
    yaml = YAML(typ="safe", pure=True)
    yaml.Representer = _Representer
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.width = 100
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


_RESOLVERS = (VersionedResolver(version=(1, 1)), VersionedResolver(version=(1, 2)))


class _Representer(SafeRepresenter):
    def represent_text(self, value: str) -> ScalarNode:
        style = None
        if "\n" in value and value.strip() and not _has_trailing_spaces(value):
            style = "|"
        elif _ambiguous(value):
            style = "'"
        return self.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    def represent_written(self, value: WrittenInt | WrittenFloat) -> ScalarNode:
        kind = "int" if isinstance(value, int) else "float"
        return self.represent_scalar(f"tag:yaml.org,2002:{kind}", value.written)


_Representer.add_representer(str, _Representer.represent_text)
_Representer.add_representer(WrittenInt, _Representer.represent_written)
_Representer.add_representer(WrittenFloat, _Representer.represent_written)


def _ambiguous(value: str) -> bool:
    return any(
        resolver.resolve(ScalarNode, value, (True, False)) != "tag:yaml.org,2002:str"
        for resolver in _RESOLVERS
    )


def _has_trailing_spaces(value: str) -> bool:
    return any(line != line.rstrip() for line in value.splitlines())
