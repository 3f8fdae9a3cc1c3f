"""sealift.yamltext: YAML 1.2 that keeps what the user wrote, lines, and hostile input bounded."""

from __future__ import annotations

import copy
import pickle
import time
from pathlib import Path

import pytest

from sealift.deploy.values import parse_given
from sealift.errors import DeployError, ModelError, UsageError, YamlError
from sealift.files import read_text_limited
from sealift.model.load import parse_model_text
from sealift.yamltext import MAX_ALIAS_NODES, MAX_DEPTH, dump_yaml, load_all, load_yaml

WRITTEN = ["on", "yes", "no", "off", "0022", "012", "12:30", "1_000", "1.50", "2001-12-14"]


def alias_bomb(levels: int = 9) -> str:
    """The "billion laughs": each level repeats the one before nine times."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        name, previous = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines.append(f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]")
    return "\n".join(lines) + "\n"


def test_scalars_stay_as_written_in_yaml_1_2() -> None:
    data = load_yaml(f"values: [{', '.join(WRITTEN)}]\n").data
    assert [str(value) for value in data["values"]] == WRITTEN
    assert data["values"][:4] == ["on", "yes", "no", "off"]  # strings, not booleans
    assert data["values"][4] == 22 and data["values"][6] == "12:30"  # numbers keep their value


def test_a_model_keeps_env_labels_and_command_as_written() -> None:
    text = f"""schema: sealift/v1
name: app
version: 1.0.0
components:
  web:
    image: example.com/web:1
    command: [serve, {", ".join(WRITTEN)}]
    env: {{{", ".join(f"V{i}: {value}" for i, value in enumerate(WRITTEN))}}}
    labels: {{umask: 0022, cron: 12:30}}
"""
    web = parse_model_text(text).components["web"]
    assert web.command == ["serve", *WRITTEN]
    assert list(web.env.values()) == WRITTEN
    assert web.labels == {"umask": "0022", "cron": "12:30"}


def test_a_file_mode_written_with_a_leading_zero_is_octal() -> None:
    text = """schema: sealift/v1
name: app
version: 1.0.0
components:
  web:
    image: example.com/web:1
    configs: [{path: /etc/a, content: a, mode: 0600}, {path: /etc/b, content: b, mode: 420}]
"""
    configs = parse_model_text(text).components["web"].configs
    assert [config.mode for config in configs] == ["0600", "0644"]


def test_lines_of_keys_items_and_merged_keys() -> None:
    document = load_yaml("base: &b\n  x: 1\n  y: 2\nm:\n  <<: *b\n  y: 3\nl:\n  - a\n  - b\n")
    assert document.data["m"] == {"x": 1, "y": 3}
    assert document.lines[("m", "y")] == 6  # the key written in the mapping wins
    assert document.lines[("m", "x")] == 2  # a merged key: where it was written
    assert document.lines[("l", 1)] == 9
    assert document.duplicates == []


def test_duplicate_keys_are_found_once_with_their_line() -> None:
    document = load_yaml("a: &x {k: 1, k: 2}\nb: *x\nc: 1\nc: 2\n")
    assert document.duplicates == [("a", "k"), ("c",)]
    assert document.lines[("c",)] == 4
    with pytest.raises(ModelError, match=r"c: duplicate key 'c': keep only one \(line 3\)"):
        parse_model_text("schema: sealift/v1\nc: 1\nc: 2\n")


def test_an_alias_bomb_is_refused_at_once() -> None:
    start = time.monotonic()
    with pytest.raises(YamlError, match=f"more than {MAX_ALIAS_NODES} nodes") as caught:
        load_all(alias_bomb())
    assert time.monotonic() - start < 1.0
    assert caught.value.line is not None


def test_aliases_that_stay_small_are_fine() -> None:
    assert len(load_yaml(alias_bomb(levels=4)).data["d"]) == 9  # 9**4 = 6561 nodes


@pytest.mark.parametrize(
    "text",
    ["[" * 20_000 + "]" * 20_000, "{a: " * 20_000 + "1" + "}" * 20_000, "- " * 20_000 + "x\n"],
)
def test_deep_nesting_is_a_yaml_error_not_a_recursion_error(text: str) -> None:
    with pytest.raises(YamlError, match=f"nested deeper than {MAX_DEPTH} levels"):
        load_all(text)


def test_nesting_up_to_the_limit_is_read() -> None:
    depth = MAX_DEPTH - 1
    data = load_yaml("[" * depth + "1" + "]" * depth).data
    for _ in range(depth - 1):
        data = data[0]
    assert data == [1]


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x7f", "\x9b"])
def test_a_control_character_is_refused_naming_its_line(char: str) -> None:
    with pytest.raises(YamlError, match=rf"U\+{ord(char):04X} .*\(line 3\)"):
        load_yaml(f"a: 1\nb: 2\nc: x{char}y\n")


def test_a_recursive_alias_is_refused() -> None:
    with pytest.raises(YamlError, match=r"alias \*a refers to itself \(line 1\)"):
        load_yaml("a: &a [1, *a]\n")


def test_numbers_keep_their_text_through_copy_and_pickle() -> None:
    value = load_yaml("v: 0022\n").data["v"]
    assert str(copy.deepcopy(value)) == "0022" and str(pickle.loads(pickle.dumps(value))) == "0022"


def test_dump_quotes_what_another_reader_would_misread() -> None:
    data = {"env": {k: k for k in WRITTEN}, "num": load_yaml("n: 0022").data["n"], "c": "a\nb\n"}
    text = dump_yaml(data)
    assert "'on': 'on'" in text and "'12:30': '12:30'" in text  # YAML 1.1 readers too
    assert "num: 0022\n" in text and "c: |\n  a\n  b\n" in text
    again = load_yaml(text).data
    assert {k: str(v) for k, v in again["env"].items()} == {k: k for k in WRITTEN}
    assert again["env"]["0022"] == "0022"  # still a string after the round trip


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    with pytest.raises(UsageError, match=r"larger than 4\.0 MiB, the most sealift reads for a m"):
        read_text_limited(path, 4 * 1024 * 1024, "a model")
    path.write_text("a: 1\n")
    assert read_text_limited(path, 4 * 1024 * 1024, "a model") == "a: 1\n"


def test_a_values_file_keeps_what_the_user_wrote(tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text("umask: 0022\ndebug: on\nempty:\nport: 8080\nflag: true\n")
    assert parse_given(["port=9090"], [values]) == {
        "umask": "0022",
        "debug": "on",
        "empty": "",
        "port": "9090",
        "flag": "true",
    }
    values.write_text("port: 8080\ndb:\n  host: x\n")
    with pytest.raises(DeployError, match=r"'db' \(line 2\) is a list or mapping"):
        parse_given([], [values])
