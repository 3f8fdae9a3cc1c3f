"""Parameter values for one installation: resolve them, substitute them, hide the secret ones."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sealift.errors import ModelError
from sealift.model.app import AppModel, Component, ConfigFile, Parameter, Port, coerce_value
from sealift.model.template import substitute


def resolve_values(
    model: AppModel,
    given: Mapping[str, str],
    previous: Mapping[str, str] | None,
    generate: Callable[[int], str],
) -> dict[str, str]:
    """The value of every parameter: given (--set/--values), else the previous revision's,
    else generated, else the default. Every problem is reported in one ModelError."""
    problems = [
        f"no parameter named '{name}'{_known(model)}"
        for name in given
        if name not in model.parameters
    ]
    previous = previous or {}
    values: dict[str, str] = {}
    for name, parameter in model.parameters.items():
        try:
            value = _value_of(name, parameter, given, previous, generate)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if value is not None:
            values[name] = value
    if problems:
        raise ModelError(problems, "parameters")
    return values


def _known(model: AppModel) -> str:
    names = ", ".join(sorted(model.parameters))
    return f" (known: {names})" if names else " (this app has no parameters)"


def _value_of(
    name: str,
    parameter: Parameter,
    given: Mapping[str, str],
    previous: Mapping[str, str],
    generate: Callable[[int], str],
) -> str | None:
    if name in given:
        return normalize(parameter, given[name], f"parameter '{name}'")
    if name in previous:
        return normalize(parameter, previous[name], f"parameter '{name}' (kept from before)")
    if parameter.generate is not None:
        return generate(parameter.generate)
    if parameter.default is not None:
        return normalize(parameter, parameter.default, f"parameter '{name}'")
    if parameter.required:
        return _missing(name)
    return ""


def _missing(name: str) -> str:
    raise ValueError(f"parameter '{name}' is required: pass --set {name}=VALUE")


def normalize(parameter: Parameter, value: object, what: str = "value") -> str:
    """A value as text in its canonical form: integers `8080`, booleans `true`/`false`."""
    typed = coerce_value(parameter.type, value, what)
    if isinstance(typed, bool):
        return "true" if typed else "false"
    return str(typed)


def secret_names(model: AppModel) -> set[str]:
    """Parameters whose values are never shown: `secret: true` or `generate`."""
    return {name for name, p in model.parameters.items() if p.secret or p.generate is not None}


def secret_texts(model: AppModel, values: Mapping[str, str]) -> list[str]:
    """Every text never to be shown: the values of secret parameters and the content of
    secret configs (as written, and with the values substituted)."""
    hidden = secret_names(model)
    texts = [value for name, value in values.items() if name in hidden]
    for spec in model.components.values():
        for config in spec.configs:
            if config.secret:
                texts += [config.content, _render_config(config, values, "", []).content]
    return texts


def render(model: AppModel, values: Mapping[str, str]) -> AppModel:
    """The model with every `${name}` substituted; host ports become ints."""
    problems: list[str] = []
    components = {
        name: _render_component(name, spec, values, problems)
        for name, spec in model.components.items()
    }
    problems += _host_port_clashes(components)
    if problems:
        raise ModelError(problems, "parameters")
    return model.model_copy(update={"components": components})


def _fill(text: str, values: Mapping[str, str], where: str, problems: list[str]) -> str:
    try:
        return substitute(text, values)
    except KeyError as exc:
        problems.append(f"{where}: no value for parameter {exc}")
    except ValueError as exc:
        problems.append(f"{where}: {exc}")
    return text


def _render_component(
    name: str, spec: Component, values: Mapping[str, str], problems: list[str]
) -> Component:
    where = f"components.{name}"

    def fill_list(items: list[str] | None, key: str) -> list[str] | None:
        if items is None:
            return None
        return [_fill(v, values, f"{where}.{key}[{i}]", problems) for i, v in enumerate(items)]

    return spec.model_copy(
        update={
            "env": {k: _fill(v, values, f"{where}.env.{k}", problems) for k, v in spec.env.items()},
            "command": fill_list(spec.command, "command"),
            "entrypoint": fill_list(spec.entrypoint, "entrypoint"),
            "ports": [
                _render_port(p, values, f"{where}.ports[{i}]", problems)
                for i, p in enumerate(spec.ports)
            ],
            "configs": [
                _render_config(c, values, f"{where}.configs[{i}]", problems)
                for i, c in enumerate(spec.configs)
            ],
        }
    )


def _render_port(port: Port, values: Mapping[str, str], where: str, problems: list[str]) -> Port:
    if not isinstance(port.host_port, str):
        return port
    text = _fill(port.host_port, values, f"{where}.host_port", problems).strip()
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        problems.append(f"{where}.host_port: {text!r} is not a port number (1..65535)")
        return port
    return port.model_copy(update={"host_port": int(text)})


def _render_config(
    config: ConfigFile, values: Mapping[str, str], where: str, problems: list[str]
) -> ConfigFile:
    content = _fill(config.content, values, f"{where}.content", problems)
    return config.model_copy(update={"content": content})


def _host_port_clashes(components: Mapping[str, Component]) -> list[str]:
    owners: dict[tuple[int, str], str] = {}
    problems: list[str] = []
    for name, spec in components.items():
        for index, port in enumerate(spec.ports):
            if not port.expose or isinstance(port.host_port, str):
                continue
            key = (port.host_port or port.port, port.protocol)
            where = f"components.{name}.ports[{index}]"
            if key in owners:
                problems.append(
                    f"{where}: host port {key[0]}/{key[1]} is already used by "
                    f"{owners[key]}; choose another value"
                )
            owners.setdefault(key, where)
    return problems
