"""The Chinese of what deploy, market, model, render and the targets say (the catalog
messages/zh-library-deploy.json, and zh-library-pydantic.json for pydantic's own phrases):
real messages, made by calling the library where that is cheap, copied from it otherwise,
come out in Chinese with their variable parts kept. (Apart from test_console_library_text.py
to keep each module short.)"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from sealift.deploy import operations as ops
from sealift.deploy.values import parse_given
from sealift.errors import ModelError, SealiftError
from sealift.market.format import split_ref
from sealift.model import params
from sealift.model.app import AppModel
from sealift.model.load import parse_model_data
from sealift.model.units import parse_cpu, parse_duration
from sealift.targets.docker import labels as L
from sealift.targets.docker.ownership import check_volume, find_network
from sealift.targets.factory import get_target
from sealift.web import i18n, library_text

CJK = re.compile(r"[\u4e00-\u9fff]")
MESSAGES = Path(__file__).resolve().parents[2] / "src" / "sealift" / "web" / "messages"
zh = i18n.translator("zh")


def _zh(message: str) -> str:
    said = zh(message)
    assert said != message and CJK.search(said), message
    return said


def _refused(check: Any) -> str:
    with pytest.raises((SealiftError, ValueError)) as refused:
        check()
    error = refused.value
    return error.message if isinstance(error, SealiftError) else str(error)


# -- values given on the command line, and the installation's name ----------------------


@pytest.mark.parametrize(
    ("text", "chinese"),
    [
        ("a: [1]\n", "：'a'（第 1 行）是列表或映射；参数只接受一个值（如要作为文本，请加引号）"),
        ("a: 1\na: 2\n", " 两次给出 'a'（第 2 行）；请只保留一个"),
        ("- 1\n", " 必须是由“参数: 值”组成的映射"),
        (b"a: \xff\n", " 不是 UTF-8 文本；请另存为 UTF-8"),
    ],
)
def test_a_bad_values_file(tmp_path: Path, text: str | bytes, chinese: str) -> None:
    path = tmp_path / "values.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    said = _zh(_refused(lambda: parse_given([], [path])))
    assert said == f"参数值文件 {path}{chinese}"


def test_bad_values_and_names() -> None:
    said = [
        _zh(_refused(check))
        for check in (
            lambda: parse_given(["public_port"], []),
            lambda: ops.check_instance_name("Shop_1"),
            lambda: split_ref("shop"),
            lambda: get_target("podman"),
            lambda: parse_duration("5x"),
            lambda: parse_cpu("0m"),
        )
    ]
    assert said == [
        "--set 'public_port' 不是 KEY=VALUE 格式（例如 public_port=8080）",
        "'Shop_1' 不是有效的安装名称：只能使用小写字母、数字和 '-'（最多 42 个字符）",
        "'shop' 不是 NAME:VERSION 格式（例如 shop:1.0.0）",
        "未知的目标 'podman'；可用的有：docker, systemd",
        "无效的时长 '5x'：请使用例如 500ms、5s、1m、1h30m",
        "无效的 CPU 值 '0m'：必须大于 0",
    ]


# -- the parameters of an install or upgrade -------------------------------------------

SHOP: dict[str, Any] = {
    "schema": "sealift/v1",
    "name": "shop",
    "version": "1.0.0",
    "parameters": {
        "public_port": {"type": "integer", "default": 8080},
        "debug": {"type": "boolean", "default": False},
    },
    "components": {
        "web": {
            "image": "127.0.0.1:5055/shop/web:1.0.0",
            "ports": [{"port": 8080, "expose": True, "host_port": "${public_port}"}],
            "health": {"http": {"path": "/healthz", "port": 8080}},
        },
    },
}


def _shop() -> AppModel:
    return parse_model_data(copy.deepcopy(SHOP))


def _problems(given: dict[str, str], previous: dict[str, str] | None = None) -> str:
    model = _shop()

    def install() -> None:
        values = params.resolve_values(model, given, previous, lambda n: "x" * n)
        params.render(model, values)

    return _zh(_refused(install))


def test_the_parameters_of_an_install() -> None:
    assert (
        _problems({"public_port": "80a"})
        == "参数：1 个问题：参数 'public_port' 的值 '80a' 不是整数"
    )
    assert _problems({"public_port": "99999"}) == (
        "参数：1 个问题：components.web.ports[0].host_port：'99999' 不是端口号（1..65535）"
    )
    assert _problems({"port": "1", "debug": "maybe"}).splitlines() == [
        "参数：2 个问题：",
        "  没有名为 'port' 的参数（已有的参数：debug, public_port）",
        "  参数 'debug' 的值 'maybe' 不是布尔值：请使用 true 或 false",
    ]
    assert _problems({"debug": "maybe"}) == (
        "参数：1 个问题：参数 'debug' 的值 'maybe' 不是布尔值：请使用 true 或 false"
    )
    kept = _problems({}, previous={"debug": "perhaps"})
    assert (
        kept == "参数：1 个问题：参数 'debug' 沿用的原值 'perhaps' 不是布尔值：请使用 true 或 false"
    )


# -- the problems of an app model (a bundle made by a newer or a broken sealift) ---------

BROKEN: list[tuple[tuple[str, ...], object, str]] = [
    (
        ("components", "web", "replicas"),
        "two",
        "components.web.replicas：应为有效的整数，无法把这段文本解析为整数",
    ),
    (("components", "web", "replicas"), -1, "components.web.replicas：应大于或等于 0"),
    (
        ("components", "web", "replicas"),
        1.5,
        "components.web.replicas：应为有效的整数，给出的数带有小数部分",
    ),
    (
        ("components", "web", "stateful"),
        "maybe",
        "components.web.stateful：应为有效的布尔值，无法识别给出的值",
    ),
    (("components", "web", "kind"), "daemon", "components.web.kind：应为 'service' 或 'job'"),
    (
        ("components", "web", "restart"),
        "sometimes",
        "components.web.restart：应为 'always', 'on-failure', 'unless-stopped' 或 'no'",
    ),
    (
        ("components", "web", "ports"),
        [{"port": 70000}],
        "components.web.ports[0].port：应小于或等于 65535",
    ),
    (("components", "web", "env"), {"A": [1]}, "components.web.env.A：应为文本"),
    (("components", "web", "env"), ["A=1"], "components.web.env：应为映射"),
    (("components", "web", "ports"), "8080", "components.web.ports：应为列表"),
    (
        ("components", "web", "health"),
        {"exec": {"command": []}},
        "components.web.health.exec.command：至少应有 1 项，现在有 0 项",
    ),
    (("components", "web", "descripton"), "x", "components.web.descripton：未知的键 'descripton'"),
    (
        ("components", "web", "imagee"),
        "x",
        "components.web.imagee：未知的键 'imagee'（您是不是想写 'image'？）",
    ),
    (("components",), {}, "components：映射至少应有 1 项，现在有 0 项"),
    (("schema",), "sealift/v2", "schema：应为 'sealift/v1'"),
    (
        ("parameters", "debug", "type"),
        "float",
        "parameters.debug.type：应为 'string', 'integer' 或 'boolean'",
    ),
]


def _broken(path: tuple[str, ...], value: object) -> ModelError:
    data = copy.deepcopy(SHOP)
    owner = data
    for key in path[:-1]:
        owner = owner[key]
    owner[path[-1]] = value
    with pytest.raises(ModelError) as refused:
        parse_model_data(data, "normalized model")
    return refused.value


@pytest.mark.parametrize(("path", "value", "chinese"), BROKEN)
def test_the_problems_of_a_model(path: tuple[str, ...], value: object, chinese: str) -> None:
    """pydantic's own phrases among them: they are checked here against what it says."""
    problem = _broken(path, value)
    assert _zh(problem.message) == f"规范化的应用模型：1 个问题：{chinese}"
    message = (  # as the import of a bundle says it (bundle/importer.py)
        f"the model of shop:1.0.0 in this bundle does not validate ({problem}); ask its vendor "
        "for a corrected bundle"
    )
    assert _zh(message) == (
        f"此安装包中 shop:1.0.0 的模型校验未通过（规范化的应用模型：1 个问题：{chinese}）；"
        "请向供应商索取修正后的安装包"
    )


def test_every_phrase_of_pydantic_is_said() -> None:
    """Each template of zh-library-pydantic.json matches a problem pydantic really gives
    (a template of words pydantic no longer says would never be used)."""
    said = [problem for path, value, _ in BROKEN for problem in _broken(path, value).problems]
    more = [
        _broken(("components", "web", "replicas"), [1]),  # should be a valid integer
        _broken(("components", "web", "stateful"), [1]),  # ... boolean
        _broken(("components", "web", "health"), {"tcp": {"port": 1}, "interval": [1]}),
    ]
    said += [problem for error in more for problem in error.problems]
    unused = set(json.loads((MESSAGES / "zh-library-pydantic.json").read_text("utf-8")))
    for template in library_text.templates("zh"):
        if any(template.match(text) for text in said):
            unused.discard(template.english)
    assert not unused, sorted(unused)


# -- the engine's objects that belong to someone else ----------------------------------


def _engine(labels: dict[str, str]) -> Any:
    """A Docker client whose one volume and one network carry `labels`."""
    found = SimpleNamespace(name="shop", attrs={"Labels": labels})
    return SimpleNamespace(
        volumes=SimpleNamespace(get=lambda name: found),
        networks=SimpleNamespace(list=lambda names: [found]),
    )


def test_ownership_conflicts() -> None:
    theirs = {L.INSTALLATION: "shop2", L.VOLUME: "data"}
    wanted = {L.VOLUME: "data"}
    said = [
        _zh(_refused(check))
        for check in (
            lambda: check_volume(_engine(theirs), "shop", "shop-data", wanted),
            lambda: check_volume(_engine({}), "shop", "shop-data", wanted),
            lambda: find_network(_engine({}), "shop"),
        )
    ]
    assert said == [
        "已存在名为 shop-data 的数据卷，它属于安装实例 shop2（数据卷 data）；"
        "安装实例 shop 的数据卷 data 需要这个名称：请用另一个 --name 安装",
        "已存在名为 shop-data 的数据卷，它不是由 sealift 创建的；安装实例 shop 的数据卷 data "
        "需要这个名称：请用另一个 --name 安装",
        "已存在名为 shop 的网络，它不是由 sealift 创建的；安装实例 shop 需要这个名称：请删除该网络"
        "（`docker network rm shop`），或用另一个 --name 安装",
    ]


# -- messages of the targets, copied from them ------------------------------------------

COPIED = {
    # targets/docker/ownership.py
    "a container named shop-web-1 exists and belongs to installation shop2 (component web); "
    "installation shop needs that name for component web: install under another --name": (
        "已存在名为 shop-web-1 的容器，它属于安装实例 shop2（组件 web）；安装实例 shop 的组件 web "
        "需要这个名称：请用另一个 --name 安装"
    ),
    "a volume named shop-data exists and was not made by sealift; installation shop needs that "
    "name for volume data: install under another --name": (
        "已存在名为 shop-data 的数据卷，它不是由 sealift 创建的；安装实例 shop 的数据卷 data "
        "需要这个名称：请用另一个 --name 安装"
    ),
    "volume shop-data of shop is used by container backup, which was not made by sealift; "
    "nothing was deleted: stop using it there first, or uninstall without --purge": (
        "shop 的数据卷 shop-data 正被容器 backup 使用，该容器不是由 sealift 创建的；"
        "没有删除任何内容：请先停止在那里使用它，或不带 --purge 卸载"
    ),
    # targets/images.py, prefixed by the component
    "component web: the image has no linux/arm64 variant (it has linux/amd64); install with "
    "--platform for one of those if this host can run it, or get a bundle that carries "
    "linux/arm64": (
        "组件 web：该镜像没有 linux/arm64 版本（只有 linux/amd64）；如果本机能运行其中之一，请用 "
        "--platform 指定它来安装，或获取包含 linux/arm64 的安装包"
    ),
    # targets/systemd/flatten.py with unpack.py's reason
    "image shop/web:1.0.0: layer 2: entry 'etc/x' is a hard link to /etc/y, which is not in the "
    "image; the image is refused: ask its vendor for a fixed one": (
        "镜像 shop/web:1.0.0：第 2 层：条目 'etc/x' 是指向 /etc/y 的硬链接，但镜像中没有 /etc/y；"
        "该镜像被拒绝：请向其供应商索取修正后的镜像"
    ),
    # targets/systemd/units.py
    "the working directory '/srv/my app' has a blank or ':'; systemd cannot mount it": (
        "工作目录 '/srv/my app' 含有空白或 ':'；systemd 无法挂载它"
    ),
    # deploy/operations.py: a failed install or upgrade, with the engine's refusal inside
    "install to shop:1.0.0 failed: port 18791 is already in use on this host (starting "
    "container shop-web-1); stop what uses it or choose another port; removed what the "
    "install had started (volumes kept)": (
        "安装到 shop:1.0.0 失败：本机端口 18791 已被占用（启动容器 shop-web-1）；请停止占用它的"
        "程序，或换一个端口；已删除此次安装启动的内容（数据卷保留）"
    ),
    "upgrade to shop:1.1.0 failed: creating container shop-web-1: 409 Conflict; restored "
    "revision 1 (shop:1.0.0)": (
        "升级到 shop:1.1.0 失败：创建容器 shop-web-1：409 Conflict；已恢复修订版本 1（shop:1.0.0）"
    ),
    # market/removal, the conditional word
    "shop:1.0.0 is still needed by installation(s) a, b; upgrade or uninstall them first "
    "(`sealift status` shows what runs)": (
        "shop:1.0.0 仍被安装实例 a, b 使用；请先升级或卸载它们"
        "（`sealift status` 显示正在运行的内容）"
    ),
}


@pytest.mark.parametrize(("message", "chinese"), COPIED.items())
def test_copied_messages_of_the_targets(message: str, chinese: str) -> None:
    assert _zh(message) == chinese
