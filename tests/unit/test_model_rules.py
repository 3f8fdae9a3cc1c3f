"""Every validation rule of docs/app-model.md: the exact problem text, with its line."""

from __future__ import annotations

import pytest

from sealift.errors import ModelError
from sealift.model.load import parse_model_data, parse_model_text

HEAD = "schema: sealift/v1\nname: shop\nversion: 1.0.0\n"  # lines 1-3


def problems_of(text: str) -> list[str]:
    with pytest.raises(ModelError) as caught:
        parse_model_text(text)
    assert caught.value.source == "sealift.yaml"
    return caught.value.problems


def components(body: str) -> str:
    """A document whose `components:` is line 4, so `body` starts on line 5."""
    return HEAD + "components:\n" + body


def test_unknown_dependency_is_named_with_its_line() -> None:
    text = components(
        "  db: {image: db:1}\n  api:\n    image: api:1\n    depends_on:\n      - db\n      - dbb\n"
    )
    assert problems_of(text) == ["components.api.depends_on[1]: no component named 'dbb' (line 10)"]


def test_self_dependency() -> None:
    text = components("  api: {image: api:1, depends_on: [api]}\n")
    assert problems_of(text) == [
        "components.api.depends_on[0]: component 'api' cannot depend on itself (line 5)"
    ]


def test_dependency_cycle_is_named_once() -> None:
    text = components(
        "  web: {image: web:1, depends_on: [api]}\n"
        "  api: {image: api:1, depends_on: [db]}\n"
        "  db: {image: db:1, depends_on: [web]}\n"
    )
    assert problems_of(text) == [
        "components.api.depends_on[0]: dependency cycle: api -> db -> web -> api (line 6)"
    ]


def test_duplicate_port_in_one_component() -> None:
    text = components(
        "  api:\n"
        "    image: api:1\n"
        "    ports:\n"
        "      - {port: 8080}\n"
        "      - {port: 8080, protocol: udp}\n"
        "      - {port: 8080, protocol: tcp}\n"
    )
    assert problems_of(text) == [
        "components.api.ports[2]: duplicate port 8080/tcp (also ports[0]) (line 10)"
    ]


def test_same_literal_host_port_twice_in_the_app() -> None:
    text = components(
        "  web: {image: web:1, ports: [{port: 80, expose: true, host_port: 8080}]}\n"
        "  api: {image: api:1, ports: [{port: 8080, expose: true}]}\n"
    )
    assert problems_of(text) == [
        "components.api.ports[0]: host port 8080/tcp is already used by "
        "components.web.ports[0] (line 6)"
    ]


def test_host_port_needs_expose() -> None:
    text = components("  web: {image: web:1, ports: [{port: 80, host_port: 8080}]}\n")
    assert problems_of(text) == [
        "components.web.ports[0].host_port: host_port needs expose: true (line 5)"
    ]


def test_duplicate_volume_and_config_paths_and_volume_names() -> None:
    text = components(
        "  db:\n"
        "    image: db:1\n"
        "    volumes:\n"
        "      - {name: data, path: /data}\n"
        "      - {name: data, path: /var/lib}\n"
        "    configs:\n"
        "      - {path: /etc/a, content: x}\n"
        "      - {path: /etc/a, content: y}\n"
        "      - {path: /data, content: z}\n"
    )
    assert problems_of(text) == [
        "components.db.volumes[1].name: duplicate volume name 'data' (also volumes[0]) (line 9)",
        "components.db.configs[1].path: path '/etc/a' is already used by configs[0] (line 12)",
        "components.db.configs[2].path: path '/data' is already used by volumes[0] (line 13)",
    ]


def test_unknown_and_malformed_references() -> None:
    text = HEAD + (
        "parameters:\n"
        "  known: {default: x}\n"
        "components:\n"
        "  api:\n"
        "    image: api:1\n"
        "    command: [run, '${known}', '${unknown}']\n"
        "    env: {A: '${known}', B: '$${literal}', C: '${broken'}\n"
        "    ports: [{port: 80, expose: true, host_port: '${port}'}]\n"
        "    configs: [{path: /etc/c, content: 'x=${other}'}]\n"
    )
    assert problems_of(text) == [
        "components.api.command[2]: no parameter named 'unknown' (in ${unknown}) (line 9)",
        "components.api.env.C: malformed '${': write ${name} with a parameter name, "
        "or $${ for a literal ${ (line 10)",
        "components.api.ports[0].host_port: no parameter named 'port' (in ${port}) (line 11)",
        "components.api.configs[0].content: no parameter named 'other' (in ${other}) (line 12)",
    ]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (
            "name: Shop_1",
            "name: invalid name 'Shop_1': use lowercase letters, digits and '-', "
            "start and end with a letter or digit, at most 63 characters (line 2)",
        ),
        (
            "version: 1.0",
            "version: invalid version '1.0': use semantic versioning, "
            "e.g. 1.0.0 or 1.2.3-rc.1 (line 3)",
        ),
        (
            "version: 01.0.0",
            "version: invalid version '01.0.0': use semantic versioning, "
            "e.g. 1.0.0 or 1.2.3-rc.1 (line 3)",
        ),
        ("schema: sealift/v2", "schema: should be 'sealift/v1' (line 1)"),
    ],
)
def test_invalid_names_versions_and_schema(line: str, problem: str) -> None:
    key = line.split(":")[0]
    head = "\n".join(line if row.startswith(key + ":") else row for row in HEAD.splitlines())
    assert problems_of(head + "\ncomponents: {web: {image: web:1}}\n") == [problem]


def test_valid_semver_forms_pass() -> None:
    for version in ("1.0.0", "1.2.3-rc.1", "1.0.0+build.5", "0.0.1-alpha+sha.1"):
        text = HEAD.replace("1.0.0", version) + "components: {web: {image: web:1}}\n"
        assert parse_model_text(text).version == version


def test_invalid_component_parameter_and_volume_names() -> None:
    text = HEAD + (
        "parameters:\n"
        "  1st: {}\n"
        "components:\n"
        "  Web_1:\n"
        "    image: web:1\n"
        "    volumes: [{name: -data, path: data}]\n"
    )
    assert problems_of(text) == [
        "parameters.1st: invalid parameter name '1st': use letters, digits and '_', "
        "not starting with a digit (line 5)",
        "components.Web_1: invalid name 'Web_1': use lowercase letters, digits and '-', "
        "start and end with a letter or digit, at most 63 characters (line 7)",
        "components.Web_1.volumes[0].name: invalid volume name '-data': use lowercase letters, "
        "digits and '-', starting with a letter or digit (line 9)",
        "components.Web_1.volumes[0].path: path 'data' must be absolute (start with '/') (line 9)",
    ]


def test_unknown_keys_name_the_key_and_suggest_the_right_one() -> None:
    text = components(
        "  web:\n"
        "    image: web:1\n"
        "    enviroment: {A: b}\n"
        "    health: {http: {port: 80}, intervall: 5s}\n"
    )
    assert problems_of(text) == [
        "components.web.enviroment: unknown key 'enviroment' (line 7)",
        "components.web.health.intervall: unknown key 'intervall' (did you mean 'interval'?) "
        "(line 8)",
    ]


def test_missing_fields_and_wrong_types() -> None:
    text = components(
        "  web:\n"
        "    ports: [{port: http}]\n"
        "    replicas: -1\n"
        "    health: {http: {port: 80}, tcp: {port: 81}}\n"
        "  api: {image: api:1, health: {tcp: {port: 80}, retries: 0}}\n"
    )
    assert problems_of(text) == [
        "components.web.image: required field is missing (line 5)",
        "components.web.ports[0].port: should be a valid integer, unable to parse string as an "
        "integer (line 6)",
        "components.web.replicas: should be greater than or equal to 0 (line 7)",
        "components.web.health: give exactly one of http, tcp, exec (found 2) (line 8)",
        "components.api.health.retries: should be greater than or equal to 1 (line 9)",
    ]


def test_parameter_rules() -> None:
    text = HEAD + (
        "parameters:\n"
        "  port: {type: integer, default: eighty}\n"
        "  token: {type: integer, generate: 12}\n"
        "  both: {default: x, generate: 12}\n"
        "  short: {generate: 4}\n"
        "components: {web: {image: web:1}}\n"
    )
    assert problems_of(text) == [
        "parameters.port.default: default 'eighty' is not an integer (line 5)",
        "parameters.token.generate: generate makes a string value: remove `type` or "
        "`generate` (line 6)",
        "parameters.both.generate: set either `default` or `generate`, not both (line 7)",
        "parameters.short.generate: should be greater than or equal to 8 (line 8)",
    ]


def test_units_that_do_not_parse_are_problems() -> None:
    text = components(
        "  web:\n"
        "    image: web:1\n"
        "    health: {tcp: {port: 80}, interval: 5 seconds}\n"
        "    resources: {cpu: lots, memory: 1Gb}\n"
    )
    assert problems_of(text) == [
        "components.web.health.interval: invalid duration '5 seconds': use e.g. 500ms, 5s, "
        "1m, 1h30m (line 7)",
        "components.web.resources.cpu: invalid cpu 'lots': use millicores (500m) or cores "
        "(0.5, 2) (line 8)",
        "components.web.resources.memory: invalid size '1Gb': use e.g. 256Mi, 1Gi, 500M (line 8)",
    ]


def test_every_problem_of_a_file_is_reported_at_once_in_file_order() -> None:
    text = (
        "schema: sealift/v1\n"
        "name: shop\n"
        "version: one\n"
        "components:\n"
        "  web:\n"
        "    image: web:1\n"
        "    depends_on: [dbb]\n"
        "    imgae: x\n"
        "  api:\n"
        "    image: 'Not An Image'\n"
        "    env: {X: '${nope}'}\n"
    )
    with pytest.raises(ModelError) as caught:
        parse_model_text(text)
    assert caught.value.problems == [
        "version: invalid version 'one': use semantic versioning, e.g. 1.0.0 or 1.2.3-rc.1 "
        "(line 3)",
        "components.web.depends_on[0]: no component named 'dbb' (line 7)",
        "components.web.imgae: unknown key 'imgae' (did you mean 'image'?) (line 8)",
        "components.api.image: invalid image reference 'Not An Image': use e.g. "
        "registry.example.com/shop/web:1.0.0 or name@sha256:<digest> (line 10)",
        "components.api.env.X: no parameter named 'nope' (in ${nope}) (line 11)",
    ]
    assert str(caught.value).startswith("sealift.yaml: 5 problems: version: invalid version")


def test_yaml_syntax_error_is_one_problem_with_its_line() -> None:
    assert problems_of(HEAD + "components:\n  web: {image: web:1\n  api: x\n") == [
        "invalid YAML: expected ',' or '}', but got ':' (line 6)"
    ]


def test_duplicate_yaml_keys_are_problems() -> None:
    text = components("  web:\n    image: web:1\n    image: web:2\n")
    assert problems_of(text) == [
        "components.web.image: duplicate key 'image': keep only one (line 7)"
    ]


def test_empty_document_and_non_mapping() -> None:
    expected = ["the file should be a mapping with schema, name, version and components"]
    assert problems_of("") == expected
    assert problems_of("- a\n") == expected


def test_components_must_not_be_empty() -> None:
    assert problems_of(HEAD + "components: {}\n") == [
        "components: Dictionary should have at least 1 item after validation, not 0 (line 4)"
    ]


def test_data_without_lines_still_names_paths() -> None:
    with pytest.raises(ModelError) as caught:
        parse_model_data(
            {
                "schema": "sealift/v1",
                "name": "x",
                "version": "1.0.0",
                "components": {"a": {"image": "a:1", "depends_on": ["b"]}},
            },
            source="compose.yaml",
        )
    assert caught.value.problems == ["components.a.depends_on[0]: no component named 'b'"]
    assert caught.value.source == "compose.yaml"


def test_lines_given_by_a_caller_are_used() -> None:
    data = {
        "schema": "sealift/v1",
        "name": "x",
        "version": "1.0.0",
        "components": {"a": {"image": "a:1", "depends_on": ["b"]}},
    }
    with pytest.raises(ModelError) as caught:
        parse_model_data(data, lines={("components", "a"): 12})
    assert caught.value.problems == ["components.a.depends_on[0]: no component named 'b' (line 12)"]
