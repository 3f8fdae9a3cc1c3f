"""Parameter values: resolve, render, mask."""

from __future__ import annotations

import pytest

from sealift.errors import ModelError
from sealift.model.normal import from_json, to_json
from sealift.model.params import render, resolve_values, secret_names
from tests.unit.test_model_shop import shop


def fixed(length: int) -> str:
    return "g" * length


def test_defaults_generated_values_and_given_values() -> None:
    values = resolve_values(shop(), {"region": "eu", "debug": "Yes"}, None, fixed)
    assert values == {
        "public_port": "8080",
        "admin_password": "g" * 16,
        "debug": "true",
        "region": "eu",
    }


def test_upgrade_keeps_generated_and_earlier_given_values() -> None:
    previous = {"public_port": "9000", "admin_password": "kept-secret", "region": "us", "gone": "x"}

    def must_not_generate(length: int) -> str:
        raise AssertionError("a generated value must be kept, not made again")

    values = resolve_values(shop(), {"region": "eu"}, previous, must_not_generate)
    assert values == {
        "public_port": "9000",
        "admin_password": "kept-secret",
        "debug": "false",
        "region": "eu",
    }


def test_integers_are_normalized() -> None:
    values = resolve_values(shop(), {"public_port": " +80 ", "region": "eu"}, None, fixed)
    assert values["public_port"] == "80"


def test_every_bad_value_is_reported_together() -> None:
    with pytest.raises(ModelError) as caught:
        resolve_values(
            shop(), {"public_port": "eighty", "debug": "maybe", "colour": "red"}, None, fixed
        )
    assert caught.value.problems == [
        "no parameter named 'colour' (known: admin_password, debug, public_port, region)",
        "parameter 'public_port' 'eighty' is not an integer",
        "parameter 'debug' 'maybe' is not a boolean: use true or false",
        "parameter 'region' is required: pass --set region=VALUE",
    ]
    assert caught.value.source == "parameters"


def test_render_substitutes_everywhere_and_makes_host_ports_ints() -> None:
    values = resolve_values(shop(), {"region": "eu", "public_port": "8443"}, None, fixed)
    rendered = render(shop(), values)
    web, api = rendered.components["web"], rendered.components["api"]
    assert web.ports[0].host_port == 8443
    assert web.ports[0].published_port == 8443
    assert web.env["DEBUG"] == "false"
    assert api.env == {"PASSWORD": "g" * 16, "REGION": "eu"}
    assert api.configs[0].content == "level=info\nregion=eu\nliteral=${x}\n"
    assert api.ports[0].published_port is None
    assert shop().components["web"].ports[0].host_port == "${public_port}"
    assert from_json(to_json(rendered), rendered=True) == rendered


def test_render_rejects_a_host_port_that_is_not_a_port() -> None:
    model = shop()
    values = resolve_values(model, {"region": "eu"}, None, fixed) | {"public_port": "70000"}
    with pytest.raises(ModelError) as caught:
        render(model, values)
    assert caught.value.problems == [
        "components.web.ports[0].host_port: '70000' is not a port number (1..65535)"
    ]


def test_render_reports_host_ports_that_clash_after_substitution() -> None:
    model = shop()
    api = model.components["api"]
    exposed = api.ports[0].model_copy(update={"expose": True, "port": 9090})
    clashing = model.model_copy(
        update={
            "components": {**model.components, "api": api.model_copy(update={"ports": [exposed]})}
        }
    )
    values = resolve_values(clashing, {"region": "eu", "public_port": "9090"}, None, fixed)
    with pytest.raises(ModelError) as caught:
        render(clashing, values)
    assert caught.value.problems == [
        "components.api.ports[0]: host port 9090/tcp is already used by "
        "components.web.ports[0]; choose another value"
    ]


def test_secret_parameters_are_named() -> None:
    model = shop()
    values = resolve_values(model, {"region": "eu"}, None, fixed)
    assert secret_names(model) == {"admin_password"}
    assert set(values) == {"public_port", "admin_password", "debug", "region"}
