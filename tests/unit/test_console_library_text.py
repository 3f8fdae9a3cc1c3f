"""The console's Chinese pages translate what the library says (errors, plan reasons,
progress and health-gate lines): every template of the catalog still has its text in the
library's source, and real messages -- made by calling the library where that is cheap,
copied from it otherwise -- come out in Chinese with their variable parts kept."""

from __future__ import annotations

import ast
import functools
import io
import json
import re
import tarfile
import threading
import time
from pathlib import Path

import pytest

from sealift.bundle.importer import ImportOptions, import_bundle
from sealift.bundle.signing import load_private
from sealift.deploy import operations as ops
from sealift.deploy.lock import installation_lock
from sealift.deploy.plan import make_plan
from sealift.deploy.recovery import describe_failure
from sealift.errors import BundleError, LockedError, SealiftError, YamlError
from sealift.files import check_replaceable, read_text_limited
from sealift.market.catalog import Market
from sealift.model.app import coerce_value
from sealift.oci.engine import unreachable
from sealift.oci.layout import Layout
from sealift.oci.reference import parse_reference
from sealift.oci.registry import RegistryClient
from sealift.space import human_size, require_space
from sealift.targets.base import DesiredComponent, HealthGateError, ObservedComponent
from sealift.web import i18n, library_text
from sealift.web.jobs import Job, JobBoard
from sealift.web.server import parse_listen
from sealift.yamltext import load_yaml
from tests.unit.test_console_library_coverage import AREAS as LIBRARY
from tests.unit.test_console_library_coverage import SRC

CJK = re.compile(r"[\u4e00-\u9fff]")
zh = i18n.translator("zh")


def _sources(path: Path) -> list[Path]:
    """The module `path`, or every module under the package `path`."""
    return [path] if path.suffix == ".py" else sorted(path.rglob("*.py"))


@functools.cache
def _literals() -> tuple[frozenset[str], str, frozenset[str], frozenset[str]]:
    """Every piece of fixed text in the library's string literals and f-strings; all of them
    joined; the ends and the starts of each."""
    pieces: set[str] = set()
    files = [p for name in LIBRARY for p in _sources(SRC / name)]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value:
                pieces.add(node.value)
    ends = {p[-k:] for p in pieces for k in range(1, len(p) + 1)}
    starts = {p[:k] for p in pieces for k in range(1, len(p) + 1)}
    return frozenset(pieces), "\0".join(pieces), frozenset(ends), frozenset(starts)


def _covered(chunk: str) -> bool:
    """`chunk` is in one literal, or is the end of one and the start of the next ones (a
    message built from pieces, or with a conditional word)."""
    _, joined, ends, _ = _literals()
    if chunk in joined:
        return True
    return any(chunk[:i] in ends and _starts(chunk[i:], 2) for i in range(1, len(chunk)))


def _starts(rest: str, parts: int) -> bool:
    pieces, _, _, starts = _literals()
    if rest in starts:
        return True
    return parts > 1 and any(
        rest[:j] in pieces and _starts(rest[j:], parts - 1) for j in range(1, len(rest))
    )


# pydantic's own phrases ("should be a valid integer", as the model's problems show them)
# are not in our source: their templates are kept apart in zh-library-pydantic.json, not
# looked for here, and checked against what pydantic really says in
# test_console_library_text_deploy.py.
PYDANTIC = json.loads((SRC / "web" / "messages" / "zh-library-pydantic.json").read_text("utf-8"))


def test_every_template_still_has_its_text_in_the_library() -> None:
    stale = []
    for template in library_text.templates("zh"):
        if template.english in PYDANTIC:
            continue
        chunks = [c for c in library_text.FIELD.split(template.english)[::2] if c.strip()]
        stale += [f"{template.english!r}: {c!r}" for c in chunks if not _covered(c)]
    assert not stale, stale


def test_templates_and_translations_have_the_same_fields() -> None:
    for template in library_text.templates("zh"):
        fields = set(library_text.FIELD.findall(template.english))
        assert fields == set(library_text.FIELD.findall(template.translation)), template.english
        assert CJK.search(template.translation), template.english
        page = i18n.catalog("zh").get(template.english)  # a page's text of the same words
        assert page in (None, template.translation), template.english


def _zh(message: str) -> str:
    """The Chinese of `message`, which must be Chinese indeed."""
    said = zh(message)
    assert said != message and CJK.search(said), message
    return said


# -- messages made by the library itself -------------------------------------------------


def _desired(name: str, **spec: object) -> DesiredComponent:
    return DesiredComponent(name, {"image": "a", **spec})


def test_plan_reasons_and_progress_lines() -> None:
    previous = {"api": _desired("api", env={"A": "1"}), "job": _desired("job", kind="job")}
    desired = [_desired("web"), _desired("api", env={"A": "2"}), _desired("job", kind="job")]
    observed = {
        "api": ObservedComponent("api", [previous["api"].hash], 1),
        "job": ObservedComponent("job", [previous["job"].hash], 1, not_running=1, failed=1),
        "old": ObservedComponent("old", ["x"], 1),
    }
    plan = make_plan(desired, observed, previous)
    lines = [f"{s.action} {s.component} ({s.reason})" for s in plan.steps if s.action != "remove"]
    assert [_zh(line) for line in lines] == [
        "创建 web（新组件）",
        "重建 api（env 已更改）",
        "运行 job（上次运行失败）",
    ]
    assert _zh(f"remove {plan.steps[-1].component}") == "删除 old"
    assert _zh(plan.steps[-1].reason) == "新版本中已没有"
    for line in ("web is ready", "job completed", "loading image of web into the engine"):
        assert "web" in _zh(line) or "job" in _zh(line)


def test_a_failed_health_gate_and_its_restore() -> None:
    gate = HealthGateError(
        "web",
        "unhealthy: health check (http GET :8080/no-such-page) failed 2 times in a row: HTTP 404",
        ["booting", "listening on :8080"],
    )
    what = describe_failure(gate)
    message = f"upgrade to shop:1.2.0 failed: {what}; restored revision 1 (shop:1.0.0)"
    said = _zh(message + "\nlast log lines of web:\n    booting\n    listening on :8080")
    assert said.splitlines() == [
        "升级到 shop:1.2.0 失败：组件 web：不健康：健康检查（http GET :8080/no-such-page）"
        "连续失败 2 次：HTTP 404；已恢复修订版本 1（shop:1.0.0）",
        "web 的最后几行日志：",
        "    booting",  # the app's own log stays as it is
        "    listening on :8080",
    ]
    again = "restoring revision 3 failed too (component web: container sl-1 exited with code 1)"
    assert _zh(f"{again}; run `sealift rollback shop 3`").startswith(
        "恢复修订版本 3 也失败了（组件 web：容器 sl-1"
    )
    assert _zh(describe_failure(KeyboardInterrupt())) == "已中断"


def test_a_busy_installation(tmp_path: Path) -> None:
    with installation_lock(tmp_path, "shop", "install"):
        with pytest.raises(LockedError) as held, installation_lock(tmp_path, "shop", "upgrade"):
            pass
        board = JobBoard(tmp_path)
        with pytest.raises(LockedError) as cli:
            board.start("upgrade", "shop", lambda job: None, instance="shop")
    assert _zh(held.value.message).startswith("shop 上有另一个操作正在进行：安装（进程 ")
    assert "sealift 命令" in _zh(cli.value.message)
    gate = threading.Event()

    def work(job: Job) -> None:
        gate.wait(5)

    board.start("install", "shop", work, instance="shop")
    with pytest.raises(LockedError) as second:
        board.start("upgrade", "shop", lambda job: None, instance="shop")
    gate.set()
    assert _zh(second.value.message).startswith("shop 上有另一个操作正在进行：安装（开始于")


def test_install_validation_errors() -> None:
    problems = []
    for check in (
        lambda: ops.check_instance_name("Not_Valid"),
        lambda: ops.check_bind_address("localhost"),
        lambda: ops.check_bind_address("nowhere"),
    ):
        with pytest.raises(SealiftError) as refused:
            check()
        problems.append(refused.value.message)
    for kind, value in (("integer", "80a"), ("boolean", "maybe")):
        with pytest.raises(ValueError) as wrong:
            coerce_value(kind, value, "the value")
        problems.append(str(wrong.value))
    said = [_zh(p) for p in problems]
    assert said[0].startswith("'Not_Valid' 不是有效的安装名称")
    assert "（使用 127.0.0.1（或 ::1） 表示仅本机，" in said[1]
    assert "例如 127.0.0.1" in said[2]
    assert said[3:] == ["值 '80a' 不是整数", "值 'maybe' 不是布尔值：请使用 true 或 false"]


def _tar(*members: str) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in members:
            tar.addfile(tarfile.TarInfo(name), io.BytesIO())
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "chinese"),
    [
        (b"x" * 100, "shop.tar 不是 sealift 安装包（不足一个 tar 块）"),
        (b"not a tar file at all " * 100, "shop.tar 不是 sealift 安装包（不是 tar 文件）"),
        (_tar(), "shop.tar 不是 sealift 安装包（空的归档文件）"),
        (_tar("readme.txt"), "shop.tar 不是 sealift 安装包（开头不是 sealift-bundle.json）"),
    ],
)
def test_import_verification_errors(tmp_path: Path, content: bytes, chinese: str) -> None:
    assert chinese in _refusal_in_chinese(tmp_path, content)


def _refusal_in_chinese(tmp_path: Path, content: bytes) -> str:
    """What `sealift import` of a file holding `content` says, in Chinese."""
    bundle = tmp_path / "shop.tar"
    bundle.write_bytes(content)
    options = ImportOptions(tmp_path / "staging", tmp_path / "trust")
    with pytest.raises(BundleError) as refused:
        import_bundle(Market(tmp_path / "store"), bundle, options)
    return _zh(refused.value.message)


def _member(name: str, data: bytes | None, kind: bytes = tarfile.REGTYPE) -> bytes:
    """A PAX tar of one member `name` (its data, or a symbolic link when `kind` says so)."""
    info = tarfile.TarInfo(name)
    info.type, info.size = kind, len(data or b"")
    if kind == tarfile.SYMTYPE:
        info.linkname = "/etc/passwd"
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(info, io.BytesIO(data) if data else None)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "chinese"),
    [
        (
            _member("sealift-bundle.json", b"{" * 2000)[:700],
            "shop.tar 被截断：文件在 sealift-bundle.json 的数据 中途结束（第 700 字节处）；"
            "请重新复制",
        ),
        (
            _member("sealift-bundle.json", b"[" * 100 + b"]" * 100),
            "sealift-bundle.json 的嵌套超过 32 层：拒绝读取",
        ),
        (_member("sealift-bundle.json", b"[]"), "sealift-bundle.json 不是 JSON 对象"),
        (
            _member("sealift-bundle.json", None, tarfile.SYMTYPE),
            "不安全的安装包：成员 'sealift-bundle.json' 是 符号链接；它不是由 `sealift export` "
            "生成的，或之后被修改过：请勿使用，向供应商索取新的安装包",
        ),
    ],
)
def test_damaged_bundles(tmp_path: Path, content: bytes, chinese: str) -> None:
    assert _refusal_in_chinese(tmp_path, content) == chinese


@pytest.mark.parametrize(
    ("text", "chinese"),
    [
        ("a: " + "[" * 500, "嵌套超过 100 层（第 1 行）"),
        (
            "a: 1\nb: \x07\n",
            "YAML 中不允许出现控制字符 U+0007（请删除它，或在双引号内写成转义 "
            '"\\u0007"）（第 2 行）',
        ),
        ("a: 1\n---\nb: 2\n", "应当只有一个 YAML 文档，却发现了多个（出现了第二个 `---`）"),
        ("a: &x [*x]\n", "别名 *x 引用了它自身（第 1 行）"),
    ],
)
def test_yaml_errors(text: str, chinese: str) -> None:
    with pytest.raises(YamlError) as refused:
        load_yaml(text)
    assert _zh(refused.value.message) == chinese


def test_files_and_space(tmp_path: Path) -> None:
    with pytest.raises(SealiftError) as refused:
        check_replaceable(tmp_path)
    assert _zh(refused.value.message) == f"{tmp_path} 是一个目录；请给出要写入的文件路径"
    values = tmp_path / "values.yaml"
    values.write_text("x" * 100)
    with pytest.raises(SealiftError) as refused:
        read_text_limited(values, 10, "a values file")
    assert _zh(refused.value.message) == (
        f"{values} 超过 10 B，即 sealift 读取参数值文件的上限；请确认是否为正确的文件"
    )
    advice = "free some space, or copy the file to the import directory and import it from there"
    with pytest.raises(SealiftError) as refused:
        require_space(tmp_path, 2**60, "uploading and importing this bundle", advice)
    said = _zh(refused.value.message)
    assert said.startswith(f"上传并导入此安装包 需要 {human_size(2**60)}，但 {tmp_path} 只剩 ")
    assert said.endswith(" 可用空间；请释放一些空间，或把文件复制到导入目录后从那里导入")


def test_store_keys_registry_and_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = Layout(tmp_path / "store").writer("sha256:" + "0" * 64, 3)
    writer.write(b"abc")
    with pytest.raises(SealiftError) as refused:
        writer.commit()
    assert _zh(refused.value.message) == (
        f"数据块 sha256:{'0' * 64} 已损坏：收到的内容摘要为 sha256:ba7816bf8f01cfea414140de5dae2223"
        "b00361a396177a9cb410ff61f20015ad；请重试，若再次出现请检查来源"
    )
    key = tmp_path / "site.key"
    key.write_text("not a key")
    with pytest.raises(SealiftError) as refused:
        load_private(key)
    assert (
        _zh(refused.value.message) == f"{key} 不是未加密的 PEM 私钥（请用 `sealift keygen` 生成）"
    )
    with pytest.raises(SealiftError) as refused:  # nothing listens on port 1
        RegistryClient(parse_reference("127.0.0.1:1/shop:1.0"), insecure=["127.0.0.1:1"]).manifest(
            "1.0"
        )
    assert _zh(refused.value.message) == (
        "127.0.0.1:1/shop:1.0：镜像仓库 127.0.0.1:1 无法连接（连接被拒绝）；请检查地址，"
        "并确认镜像仓库正在运行"
    )
    monkeypatch.setenv("DOCKER_HOST", "unix:///nowhere/docker.sock")
    assert _zh(unreachable(FileNotFoundError(2, "No such file or directory"))) == (
        "无法连接 unix:///nowhere/docker.sock 上的 Docker 引擎（套接字不存在）：请启动 dockerd，"
        "或把 DOCKER_HOST 指向正在运行的引擎"
    )
    with pytest.raises(SealiftError) as refused:
        parse_listen("nowhere")
    assert _zh(refused.value.message) == (
        "--listen 'nowhere' 不是 ADDRESS:PORT 格式，例如 127.0.0.1:8700"
    )


# -- messages copied from the library (the first test checks they still exist there) -----

COPIED = [
    "checking the bundle's structure",
    "bundle is corrupt: blob sha256:0123456789ab... in shop.tar does not match its digest; "
    "copy it again from the original, or ask its vendor to export it again",
    "bundle is corrupt: the checksum of sealift-bundle.json does not match; copy it again "
    "from the original, or ask its vendor to export it again",
    "shop.tar is truncated (1000 bytes, expected 2000); copy it again",
    "shop.tar is truncated: blob sha256:0123456789ab... and those after it are missing; copy "
    "the bundle again",
    "unsafe bundle: member '../x' points outside (..); it was not written by `sealift export` "
    "or was changed since: do not use it, ask its vendor for a new one",
    "bad signature: sealift-bundle.json was changed after signing",
    "the bundle is not signed but --verify-key requires a signature; ask for a bundle "
    "exported with --sign",
    "shop:1.0.0 is already in the store with other content; versions are immutable: remove it "
    "first (`sealift market remove shop:1.0.0`)",
    "another import is running; wait for it to finish",
    "job sl-migrate-1 failed with exit code 3",
    "health check (tcp :5432) did not pass in time: the probe did not finish within 5s",
    "container sl-web-1 is restarting (exit code 1)",
    "removed what the install had started (volumes kept)",
    "the upgrade of revision 2 had died; restored revision 1 (shop:1.0.0)",
    "shop is already installed; choose another name or upgrade it",
    "shop:1.0.0 is still needed by installation(s) shop; upgrade or uninstall it first "
    "(`sealift status` shows what runs)",
    "no installation named 'shop'; `sealift status` lists them",
    "running spec differs (changed outside sealift or by a failed operation)",
]


@pytest.mark.parametrize("message", COPIED)
def test_copied_library_messages_have_a_chinese_rendering(message: str) -> None:
    said = _zh(message)
    for kept in re.findall(r"sha256:\w+|shop[.:][\w.]+|sl-[\w-]+|\d{3,}", message):
        assert kept in said  # the variable parts stay as they were


def test_what_no_template_knows_stays_as_it_was() -> None:
    assert zh("listening on :8080") == "listening on :8080"
    long = "upgrade to " * 5000 + "x failed: y; z"  # no time lost on a long line
    started = time.monotonic()
    assert zh(long) == long and zh(long[:1900]) == long[:1900]
    assert time.monotonic() - started < 1
    assert library_text.translate("web is ready", "en") == "web is ready"
    job = Job("1", "install", "shop")
    job.note("create web (new component)")
    assert zh(job.to_json()["lines"][0]) == "创建 web（新组件）"
