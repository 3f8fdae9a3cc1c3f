"""The web console's pure parts: the Chinese catalog covers every text of every page, the
language choice, where the console may listen, the import directory's walls, the jobs'
one-operation-per-installation rule and secret masking, and the admin password's hash."""

from __future__ import annotations

import json
import re
import threading
from importlib import resources
from pathlib import Path

import pytest

from sealift.deploy.lock import installation_lock
from sealift.errors import LockedError, NotFoundError, UsageError
from sealift.web import i18n
from sealift.web.auth import PasswordHash, Sessions
from sealift.web.jobs import Job, JobBoard
from sealift.web.server import ServeOptions, check_transport, parse_listen
from sealift.web.uploads import inside, offered_files

TEMPLATES = Path(resources.files("sealift.web").joinpath("templates"))  # type: ignore[arg-type]


def test_every_text_of_every_page_has_a_chinese_translation() -> None:
    texts: set[str] = set()
    for template in TEMPLATES.glob("*.html"):
        for double, single in re.findall(
            r"""\bt\("([^"]+)"|\bt\('([^']+)'""", template.read_text()
        ):
            texts.add(double or single)
    texts.discard("")
    catalog = i18n.catalog("zh")
    missing = sorted(t for t in texts if t not in catalog)
    assert not missing, missing
    for english, chinese in catalog.items():  # the same fields in both
        assert set(re.findall(r"\{\w+\}", english)) == set(re.findall(r"\{\w+\}", chinese))
    assert len(texts) > 100


def test_the_catalog_is_valid_json_with_chinese_text() -> None:
    folder = resources.files("sealift.web").joinpath("messages")
    data = json.loads(folder.joinpath("zh.json").read_text("utf-8"))
    assert data["Installations"] == "安装实例"


@pytest.mark.parametrize(
    ("cookie", "header", "chosen"),
    [
        (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        (None, "en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        (None, "fr-FR, zh-TW;q=0.5", "zh"),
        (None, "de", "en"),
        (None, None, "en"),
        ("en", "zh-CN", "en"),  # the switch wins
        ("xx", "zh-CN", "zh"),
    ],
)
def test_the_language_comes_from_the_switch_or_the_browser(
    cookie: str | None, header: str | None, chosen: str
) -> None:
    assert i18n.choose(cookie, header) == chosen


def test_translations_fill_their_fields() -> None:
    t = i18n.translator("zh")
    assert t("Install {ref}", ref="shop 1.0.0") == "安装 shop 1.0.0"
    assert i18n.translator("en")("Install {ref}", ref="x") == "Install x"
    assert t("a library message {not a field}") == "a library message {not a field}"


def test_listen_addresses() -> None:
    assert parse_listen("127.0.0.1:8700") == ("127.0.0.1", 8700)
    assert parse_listen("[::1]:9000") == ("::1", 9000)
    assert parse_listen("localhost:80") == ("127.0.0.1", 80)
    for bad in ("8700", "127.0.0.1:", "host.example:80", "127.0.0.1:70000"):
        with pytest.raises(UsageError):
            parse_listen(bad)


def test_only_loopback_goes_without_tls(tmp_path: Path) -> None:
    plain = ServeOptions(tmp_path)
    assert check_transport("127.0.0.1", plain) == ""
    assert check_transport("::1", plain) == ""
    with pytest.raises(UsageError, match="--tls-cert"):
        check_transport("0.0.0.0", plain)
    warned = ServeOptions(tmp_path, insecure_http=True)
    assert "plain HTTP" in check_transport("192.0.2.1", warned)
    tls = ServeOptions(tmp_path, tls_cert=tmp_path / "c", tls_key=tmp_path / "k")
    assert check_transport("0.0.0.0", tls) == ""
    with pytest.raises(UsageError, match="both"):
        check_transport("127.0.0.1", ServeOptions(tmp_path, tls_cert=tmp_path / "c"))


def test_the_import_directory_has_walls(tmp_path: Path) -> None:
    root, outside = tmp_path / "media", tmp_path / "secret.tar"
    (root / "a" / "b" / "c").mkdir(parents=True)
    (root / "one.tar").write_bytes(b"1")
    (root / "a" / "two.tar").write_bytes(b"22")
    (root / "a" / "b" / "c" / "too-deep.tar").write_bytes(b"3")
    outside.write_bytes(b"x")
    (root / "link.tar").symlink_to(outside)
    (root / "up").symlink_to(tmp_path)
    assert [(f.name, f.size) for f in offered_files(root)] == [("one.tar", 1), ("a/two.tar", 2)]
    assert inside(root, "a/two.tar") == root.resolve() / "a" / "two.tar"
    for name in ("", "../secret.tar", str(outside), "link.tar", "up/secret.tar", "a/../../x"):
        with pytest.raises(UsageError):
            inside(root, name)
    with pytest.raises(NotFoundError):
        inside(root, "gone.tar")


def test_one_job_at_a_time_per_installation(tmp_path: Path) -> None:
    board = JobBoard(tmp_path)
    release = threading.Event()
    first = board.start("upgrade", "shop", lambda job: release.wait(10) and None, "shop")
    with pytest.raises(LockedError, match="another operation is running on shop: upgrade"):
        board.start("rollback", "shop", lambda job: None, "shop")
    other = board.start("install", "blog", lambda job: None, "blog")  # another one may run
    release.set()
    _wait(first)
    _wait(other)
    assert first.state == "done" and board.running_on("shop") is None


def test_a_cli_command_holding_the_lock_refuses_a_job(tmp_path: Path) -> None:
    board = JobBoard(tmp_path)
    with installation_lock(tmp_path, "shop", "upgrade"), pytest.raises(LockedError):
        board.start("uninstall", "shop", lambda job: None, "shop")
    job = board.start("uninstall", "shop", lambda job: None, "shop")
    _wait(job)
    assert job.state == "done"


def test_a_job_says_what_failed_with_secrets_masked(tmp_path: Path) -> None:
    board = JobBoard(tmp_path)

    def work(job: Job) -> None:
        job.hide(["hunter2-secret"])
        job.note("using password hunter2-secret")
        raise UsageError("upgrade failed: value hunter2-secret refused; restored revision 1")

    job = board.start("upgrade", "shop", work, "shop")
    _wait(job)
    assert job.state == "failed"
    assert job.lines == ["using password ***"]
    assert job.error == "upgrade failed: value *** refused; restored revision 1"


def test_a_bug_in_a_job_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    job = JobBoard(tmp_path).start("import", "x.tar", lambda job: 1 / 0 and None)
    _wait(job)
    assert job.error == "internal error (ZeroDivisionError); see the console's log"


def test_the_password_is_kept_as_a_scrypt_hash() -> None:
    made = PasswordHash.of("correct horse")
    again = PasswordHash.from_json(made.to_json())
    assert again.matches("correct horse") and not again.matches("correct horsE")
    assert "correct horse" not in made.to_json()


def test_sessions_expire_and_log_out() -> None:
    sessions = Sessions(PasswordHash.of("pw-123456"), lifetime=-1)
    expired = sessions.login("c", "admin", "pw-123456")
    assert expired is not None and sessions.find(expired.token) is None
    live = Sessions(PasswordHash.of("pw-123456"))
    session = live.login("c", "admin", "pw-123456")
    assert session is not None and live.find(session.token) is session
    live.logout(session.token)
    assert live.find(session.token) is None
    assert live.login("c", "root", "pw-123456") is None


def _wait(job: Job) -> None:
    for _ in range(200):
        if job.state != "running":
            return
        threading.Event().wait(0.02)
    raise AssertionError("the job did not end")
