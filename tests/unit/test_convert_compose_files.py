"""Compose variables, env files, include/extends/provider and what is never read (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from sealift.convert import (
    ConversionResult,
    ConvertInput,
    SourceFile,
    convert_compose,
    referenced_paths,
)
from sealift.convert.compose.envfiles import compose_environment
from sealift.convert.compose.interpolate import interpolate
from sealift.errors import ConvertError
from sealift.model.load import parse_model_data

MAIN = "/proj/compose.yaml"


def make_input(
    text: str,
    files: dict[str, str] | None = None,
    shell: dict[str, str] | None = None,
    env_files: tuple[str, ...] = (),
    directories: frozenset[str] = frozenset(),
    directory: str = "proj",
) -> ConvertInput:
    return ConvertInput(
        (SourceFile(MAIN, text),),
        files or {},
        directories,
        name=None,
        directory_name=directory,
        environment=shell or {},
        env_files=env_files,
    )


def convert(text: str, files: dict[str, str] | None = None, **kwargs: Any) -> ConversionResult:
    result = convert_compose(make_input(text, files, **kwargs))
    parse_model_data(result.model, "converted")
    return result


def image_of(result: ConversionResult, component: str = "a") -> str:
    image: str = result.model["components"][component]["image"]
    return image


# --- variables --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${SET:-d}", "value"),
        ("${EMPTY:-d}", "d"),
        ("${EMPTY-d}", ""),
        ("${UNSET-d}", "d"),
        ("${SET:+alt}", "alt"),
        ("${EMPTY:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${UNSET+alt}", ""),
        ("${EMPTY?gone}", ""),
        ("$$SET and $${SET}", "$SET and ${SET}"),
        ("$SET/${SET}", "value/value"),
        ("${UNSET:-${SET}-x}", "value-x"),
        ("${UNSET}", ""),
        ("cost: 5$", "cost: 5$"),
    ],
)
def test_interpolation_forms(text: str, expected: str) -> None:
    env = {"SET": "value", "EMPTY": ""}
    assert interpolate(text, env, "here") == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${UNSET:?give the tag}", "required variable UNSET is not set: give the tag"),
        ("${EMPTY:?must not be empty}", "required variable EMPTY is not set: must not be empty"),
        ("${UNSET?}", "required variable UNSET is not set;"),
    ],
)
def test_required_variable_is_an_error_naming_it(text: str, message: str) -> None:
    with pytest.raises(ConvertError, match="here: " + message):
        interpolate(text, {"EMPTY": ""}, "here")


def test_required_variable_in_image_names_variable_and_message() -> None:
    text = "services: {a: {image: 'app:${TAG:?set TAG in .env}'}}\n"
    with pytest.raises(ConvertError) as caught:
        convert(text)
    assert str(caught.value).startswith(
        "services.a.image: required variable TAG is not set: set TAG in .env;"
    )
    assert image_of(convert(text, {"/proj/.env": "TAG=1.2\n"})) == "app:1.2"


def test_required_variable_in_env_is_a_required_parameter() -> None:
    result = convert("services: {a: {image: x, environment: {K: '${K:?the API key}'}}}\n")
    assert result.model["parameters"]["K"] == {"description": "the API key"}


def test_precedence_shell_over_env_files_and_env_files_replace_dotenv() -> None:
    text = "services: {a: {image: 'app:${TAG}-${FLAVOR:-plain}-${ONLY_DOTENV:-none}'}}\n"
    files = {
        "/proj/.env": "TAG=dotenv\nONLY_DOTENV=yes\n",
        "/proj/one.env": "TAG=one\nFLAVOR=one\n",
        "/proj/two.env": "FLAVOR=two\n",
    }
    assert image_of(convert(text, files)) == "app:dotenv-plain-yes"
    two_files = ("/proj/one.env", "/proj/two.env")
    assert image_of(convert(text, files, env_files=two_files)) == "app:one-two-none"
    shell = {"TAG": "shell"}
    assert image_of(convert(text, files, env_files=two_files, shell=shell)) == "app:shell-two-none"


def test_dotenv_values_are_interpolated_from_earlier_lines_and_the_shell() -> None:
    dotenv = (
        "BASE=1.0\n"
        "TAG=${BASE}-${SUFFIX:-dev}\n"
        "LITERAL='${BASE}'\n"
        'QUOTED="v${BASE}"\n'
        "HOST=${SHELL_HOST}\n"
    )
    env = compose_environment([("/p/.env", dotenv)], {"SHELL_HOST": "db.local"})
    assert env["TAG"] == "1.0-dev"
    assert env["LITERAL"] == "${BASE}"
    assert env["QUOTED"] == "v1.0"
    assert env["HOST"] == "db.local"
    shell_wins = compose_environment([("/p/.env", dotenv)], {"BASE": "2.0"})
    assert shell_wins["TAG"] == "2.0-dev"
    assert shell_wins["BASE"] == "2.0"


def test_required_variable_inside_dotenv_is_an_error() -> None:
    with pytest.raises(ConvertError, match=r"/p/.env: DB: required variable PASS is not set"):
        compose_environment([("/p/.env", "DB=postgres://u:${PASS:?}@db\n")], {})


def test_listed_variable_without_value_is_an_optional_parameter() -> None:
    text = "services: {a: {image: x, environment: [SES_USER, SES_HOST]}}\n"
    result = convert(text, shell={"SES_HOST": "mail.example.org"})
    params = result.model["parameters"]
    assert params["SES_USER"]["default"] == ""
    assert params["SES_HOST"]["default"] == "mail.example.org"
    assert result.model["components"]["a"]["env"] == {
        "SES_USER": "${SES_USER}",
        "SES_HOST": "${SES_HOST}",
    }


# --- restart and depends_on -------------------------------------------------------------


def test_restart_defaults_to_no_and_conditions_map() -> None:
    text = (
        "services:\n"
        "  migrate: {image: m, command: migrate}\n"
        "  db: {image: d, restart: always, healthcheck: {test: [CMD, ok]}}\n"
        "  app:\n"
        "    image: a\n"
        "    deploy: {restart_policy: {condition: on-failure}}\n"
        "    depends_on:\n"
        "      db: {condition: service_healthy}\n"
        "      migrate: {condition: service_completed_successfully}\n"
        "  web: {image: w, depends_on: [app]}\n"
    )
    components = convert(text).model["components"]
    assert components["migrate"] == {
        "kind": "job",
        "image": "m",
        "command": ["migrate"],
        "restart": "no",
    }
    assert components["db"]["restart"] == "always"
    assert components["app"]["restart"] == "on-failure"
    assert components["web"]["restart"] == "no"
    assert components["app"]["depends_on"] == [
        "db",
        {"component": "migrate", "condition": "completed"},
    ]
    assert components["web"]["depends_on"] == [{"component": "app", "condition": "started"}]


def test_a_job_publishes_no_port_and_runs_once() -> None:
    text = (
        "services:\n"
        "  seed: {image: s, restart: always, ports: ['9000:9000'], deploy: {replicas: 3}}\n"
        "  app: {image: a, depends_on: {seed: {condition: service_completed_successfully}}}\n"
    )
    result = convert(text)
    seed = result.model["components"]["seed"]
    assert seed["kind"] == "job"
    assert seed["restart"] == "on-failure"
    assert seed["ports"] == [{"port": 9000}]
    assert "replicas" not in seed
    assert any("seed: a job runs once; replicas 3 became 1" in w for w in result.warnings)


def test_security_settings() -> None:
    text = (
        "services:\n"
        "  a:\n"
        "    image: x\n"
        "    read_only: true\n"
        "    cap_drop: [ALL]\n"
        "    cap_add: [CAP_NET_BIND_SERVICE, chown]\n"
        "    security_opt: ['no-new-privileges:true', 'seccomp:unconfined']\n"
    )
    result = convert(text)
    assert result.model["components"]["a"]["security"] == {
        "read_only_root": True,
        "cap_drop": ["ALL"],
        "cap_add": ["NET_BIND_SERVICE", "CHOWN"],
        "no_new_privileges": True,
    }
    assert "services.a.security_opt: not mapped: seccomp:unconfined" in result.warnings


# --- files: what is read and what never is ----------------------------------------------


def test_paths_outside_the_project_are_never_asked_for_nor_carried() -> None:
    text = (
        "services:\n"
        "  a:\n"
        "    image: x\n"
        "    volumes:\n"
        "      - /etc/timezone:/etc/timezone:ro\n"
        "      - ../../../../etc/passwd:/etc/passwd\n"
        "      - ~/.ssh:/root/.ssh\n"
        "      - ./conf/app.ini:/etc/app.ini\n"
        "    secrets: [leak]\n"
        "secrets:\n"
        "  leak: {file: ../secret.txt}\n"
    )
    inp = make_input(text)
    assert referenced_paths(inp) == ["/proj/conf/app.ini"]
    files = {"/etc/timezone": "vendor tz", "/etc/passwd": "root:x:0:0", "/secret.txt": "s"}
    result = convert(text, {**files, "/proj/conf/app.ini": "[app]\n"})
    component = result.model["components"]["a"]
    assert component["configs"] == [{"path": "/etc/app.ini", "content": "[app]\n"}]
    assert "volumes" not in component
    assert "vendor tz" not in repr(result.model)
    assert "root:x" not in repr(result.model)
    for path in ("/etc/timezone", "/etc/passwd", "~/.ssh", "/secret.txt"):
        assert any(path in w and "not read" in w for w in result.warnings), path


def test_bind_directory_shared_by_two_services_is_an_app_volume() -> None:
    text = (
        "services:\n"
        "  a: {image: x, volumes: ['./data:/srv/data']}\n"
        "  b: {image: y, volumes: ['./data:/data:ro', 'cache:/cache']}\n"
    )
    result = convert(text, directories=frozenset({"/proj/data"}))
    assert result.model["volumes"] == {"data": {}}
    assert result.model["components"]["b"]["volumes"] == [
        {"name": "data", "path": "/data", "read_only": True},
        {"name": "cache", "path": "/cache"},
    ]
    assert any("host directory ./data becomes the persistent volume" in w for w in result.warnings)


# --- include, extends, provider ---------------------------------------------------------


def test_include_and_extends_are_asked_for_then_followed() -> None:
    text = (
        "include:\n"
        "  - sub/compose.yaml\n"
        "services:\n"
        "  web: {extends: {file: base/common.yaml, service: base}, image: w}\n"
    )
    inp = make_input(text)
    first = ["/proj/base/common.yaml", "/proj/sub/.env", "/proj/sub/compose.yaml"]
    assert referenced_paths(inp) == first  # the included project's .env is optional
    files = {
        "/proj/sub/compose.yaml": "name: sub\nservices: {db: {image: d, env_file: db.env}}\n",
        "/proj/sub/db.env": "A=1\n",
        "/proj/base/common.yaml": "services: {base: {image: b, volumes: ['./x.conf:/x.conf']}}\n",
    }
    inp = make_input(text, files)
    assert referenced_paths(inp) == ["/proj/base/x.conf", "/proj/sub/.env", "/proj/sub/db.env"]
    result = convert(text, {**files, "/proj/base/x.conf": "x=1\n"})
    components = result.model["components"]
    assert components["db"]["env"] == {"A": "1"}
    assert result.model["name"] == "proj"  # not the included project's name
    assert components["web"]["image"] == "w"
    assert components["web"]["configs"] == [{"path": "/x.conf", "content": "x=1\n"}]


def test_include_conflict_and_missing_file_are_errors() -> None:
    text = "include: [other.yaml]\nservices: {a: {image: x}}\n"
    with pytest.raises(ConvertError, match=r"cannot read /proj/other.yaml"):
        convert(text)
    with pytest.raises(ConvertError, match="services a is defined both here and in an included"):
        convert(text, {"/proj/other.yaml": "services: {a: {image: y}}\n"})


def test_extends_cycle_and_unknown_service_are_errors() -> None:
    cycle = "services: {a: {image: x, extends: b}, b: {image: y, extends: a}}\n"
    with pytest.raises(ConvertError, match="extends chain comes back"):
        convert(cycle)
    with pytest.raises(ConvertError, match="no service 'nope'"):
        convert("services: {a: {image: x, extends: nope}}\n")


def test_extends_merge_rules() -> None:
    text = (
        "services:\n"
        "  base:\n"
        "    image: x\n"
        "    command: [a, b]\n"
        "    ports: ['80']\n"
        "    environment: [A=1, B=2]\n"
        "  child:\n"
        "    extends: base\n"
        "    command: [c]\n"
        "    ports: ['81']\n"
        "    environment: {B: '3'}\n"
    )
    child = convert(text).model["components"]["child"]
    assert child["command"] == ["c"]  # replaced
    assert [p["port"] for p in child["ports"]] == [80, 81]  # concatenated
    assert child["env"] == {"A": "1", "B": "3"}  # merged by name


def test_provider_service_is_refused_naming_the_key() -> None:
    text = "services: {ai: {provider: {type: model, options: {model: x}}}}\n"
    with pytest.raises(ConvertError, match=r"services.ai.provider: services run by a provider"):
        convert(text)


def test_generic_directory_names_give_way_to_the_parent() -> None:
    inp = ConvertInput(
        (SourceFile("/src/acme-shop/compose/compose.yaml", "services: {a: {image: x}}\n"),),
        directory_name="compose",
    )
    assert convert_compose(inp).model["name"] == "acme-shop"


def test_long_port_options_without_equivalent_are_named() -> None:
    text = (
        "services: {a: {image: x, ports: "
        "[{target: 80, published: '8080', mode: host, app_protocol: http}]}}\n"
    )
    result = convert(text)
    assert result.model["components"]["a"]["ports"] == [
        {"port": 80, "expose": True, "host_port": 8080}
    ]
    assert "services.a.ports[0]: not mapped: app_protocol, mode host" in result.warnings


def test_shell_values_never_become_secret_defaults() -> None:
    text = "services: {a: {image: x, environment: [API_TOKEN, REGION, LOG]}}\n"
    shell = {"API_TOKEN": "vendor-own-token", "REGION": "eu-west-1"}
    result = convert(text, {"/proj/.env": "LOG=debug\n"}, shell=shell)
    params = result.model["parameters"]
    assert "default" not in params["API_TOKEN"]
    assert params["API_TOKEN"]["secret"] is True
    assert params["REGION"]["default"] == "eu-west-1"
    assert params["LOG"]["default"] == "debug"
    assert "vendor-own-token" not in repr(result.model) + repr(result.warnings)
    assert any("parameters.API_TOKEN: set in your shell" in w for w in result.warnings)
    assert "parameters.REGION: its default is the value set in your shell" in result.warnings


def test_bind_directory_named_like_a_volume_stays_apart() -> None:
    text = "services: {a: {image: x, volumes: ['data:/a', './data:/b']}}\nvolumes: {data: {}}\n"
    volumes = convert(text).model["components"]["a"]["volumes"]
    assert volumes == [{"name": "data", "path": "/a"}, {"name": "data-dir", "path": "/b"}]
