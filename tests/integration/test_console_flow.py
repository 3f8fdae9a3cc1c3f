"""The whole delivery by clicks, in a real browser (Debian's Chromium, driven by
Playwright) against a real `sealift console` and the real Docker engine: log in, upload the
example shop's bundles, install 1.0.0 with a parameter set in the form, see it healthy and
open it, upgrade to 1.1.0 after reading the plan (the data is kept), roll back from the
history, read the logs, uninstall. Every page is photographed in English and in Chinese
(test-artifacts/console/)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import free_port, run_sealift
from tests.consoleserver import PASSWORD, RunningConsole, console, self_signed, shop_bundles
from tests.integration.test_bundle_support import shop_store

pytestmark = pytest.mark.docker
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "console"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
JOB_TIMEOUT = 90_000  # ms


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """Debian's Chromium (never a downloaded one), headless."""
    return {"executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture
def running(tmp_path: Path, docker_client: docker.DockerClient) -> Iterator[RunningConsole]:
    home, media = tmp_path / "home", tmp_path / "media"
    home.mkdir()
    media.mkdir()
    with console(home, media) as running:
        yield running


@pytest.fixture
def instance(running: RunningConsole) -> Iterator[str]:
    name = f"sl-web-{uuid.uuid4().hex[:6]}"
    yield name
    run_sealift(running.home, "uninstall", name, "--purge", check=False)


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page: Page, url: str) -> None:
    page.goto(f"{url}/installations")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label(re.compile("Password|密码")).fill(PASSWORD)
    page.locator("form.card button").click()
    expect(page).to_have_url(re.compile(r"/installations$"))


def upload(page: Page, url: str, bundle: Path) -> None:
    page.goto(f"{url}/import")
    page.locator("input[type=file]").set_input_files(str(bundle))
    page.get_by_role("button", name="Upload and import").click()
    expect(page).to_have_url(re.compile(r"/jobs/"), timeout=JOB_TIMEOUT)
    expect(page.get_by_text("What came in")).to_be_visible(timeout=JOB_TIMEOUT)


def wait_done(page: Page, text: str) -> None:
    expect(page.locator(".result")).to_contain_text(text, timeout=JOB_TIMEOUT)


def test_the_whole_delivery_by_clicks(
    browser: Browser, running: RunningConsole, instance: str, docker_client: docker.DockerClient
) -> None:
    first, second, broken = shop_bundles(docker_client)
    url = running.url
    page = browser.new_page(locale="en-US")
    log_in(page, url)
    expect(page.get_by_text("Nothing is installed yet.")).to_be_visible()

    # import: both bundles by upload; the result lists what came in
    upload(page, url, first)
    result = page.locator(".result table")
    expect(result).to_contain_text("shop")
    expect(result).to_contain_text("1.0.0")
    shot(page, "en-04-import-result")
    # the differential 1.1.0 from the import directory (a USB disk at a site)
    (running.import_dir / "usb").mkdir()
    (running.import_dir / "usb" / second.name).write_bytes(second.read_bytes())
    page.goto(f"{url}/import")
    row = page.locator("tr", has_text="usb/shop-1.1.0.tar")
    row.get_by_role("button", name="Import").click()
    expect(page.locator(".result table")).to_contain_text("1.1.0", timeout=JOB_TIMEOUT)

    # market: both versions, components with digests
    page.goto(f"{url}/market")
    expect(page.locator("tbody tr")).to_have_count(2)
    page.get_by_role("link", name="1.0.0").click()
    expect(page.locator("table").first).to_contain_text("store")
    expect(page.locator("table").first).to_contain_text("sha256:")
    expect(page.get_by_text("generated at install")).to_be_visible()

    # install: a bad name is shown beside its field; then 1.0.0 with public_port set
    port = free_port()
    page.get_by_role("link", name="Install", exact=True).click()
    page.locator("#f-name").fill("Not_Valid")
    page.locator("#f-public_port").fill(str(port))
    page.get_by_role("button", name="Install", exact=True).click()
    expect(page.locator(".field.invalid .field-error")).to_contain_text("not a valid")
    expect(page.locator("#f-admin_password")).to_have_attribute("type", "password")
    shot(page, "en-06-install-form-error")
    page.locator("#f-name").fill(instance)
    page.locator("#f-bind_address").fill("127.0.0.1")
    page.get_by_role("button", name="Install", exact=True).click()
    expect(page.get_by_text("You can close this page")).to_be_visible()
    wait_done(page, f"{instance} runs shop:1.0.0 (revision 1)")
    shot(page, "en-07-install-done")

    # the dashboard: every component healthy, the storefront's port a link that opens it
    page.goto(f"{url}/installations")
    card = page.locator(f"[data-installation={instance}]")
    for component in ("web", "api", "store"):
        expect(card.locator(f"tr[data-component={component}]")).to_contain_text("healthy")
    expect(card.locator("tr[data-component=worker]")).to_contain_text("running")
    shot(page, "en-08-installations")
    with page.context.expect_page() as opened:
        card.locator("tr[data-component=web] a").click()
    app_page = opened.value
    expect(app_page.locator("body")).to_contain_text("API 1.0.0")
    app_url = f"http://127.0.0.1:{port}"
    httpx.post(f"{app_url}/cgi-bin/api/items", data={"name": "console-teapot"}).raise_for_status()

    # upgrade: the plan first, then live progress; the data is kept
    page.goto(f"{url}/installations/{instance}")
    page.locator("select[name=version]").select_option("1.1.0")
    page.get_by_role("button", name="Show the plan").click()
    expect(page.locator("tr[data-component=metrics]")).to_contain_text("create")
    expect(page.locator("tr[data-component=api]")).to_contain_text("recreate")
    expect(page.locator("tr[data-component=store]")).to_contain_text("keep")
    shot(page, "en-09-upgrade-plan")
    page.get_by_role("button", name="Upgrade now").click()
    expect(page).to_have_url(re.compile(r"/jobs/"))
    upgrade_job = page.url
    second_browser(browser, url, page.url, f"{instance} runs shop:1.1.0 (revision 2)")
    wait_done(page, f"{instance} runs shop:1.1.0 (revision 2)")
    app_page.goto(f"{app_url}/cgi-bin/api/items")
    expect(app_page.locator("body")).to_contain_text("console-teapot")
    expect(app_page.locator("body")).to_contain_text('"count"')

    # history and rollback (one confirmation)
    page.goto(f"{url}/installations/{instance}")
    expect(page.locator("tr[data-revision='2']")).to_contain_text("deployed")
    expect(page.locator("tr[data-revision='1']")).to_contain_text("superseded")
    shot(page, "en-10-history")
    page.locator("tr[data-revision='1']").get_by_role("link", name="Roll back to this").click()
    expect(page.locator("h1")).to_contain_text("revision 1")
    page.get_by_role("button", name="Roll back now").click()
    wait_done(page, f"{instance} runs shop:1.0.0 (revision 3)")
    app_page.goto(f"{app_url}/cgi-bin/api/items")
    expect(app_page.locator("body")).to_contain_text("console-teapot")

    # a failed upgrade: the storefront of 1.2.0 never gets healthy; 1.0.0 is restored
    upload(page, url, broken)
    page.goto(f"{url}/installations/{instance}/upgrade?version=1.2.0")
    page.get_by_role("button", name="Upgrade now").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("upgrade to shop:1.2.0 failed", timeout=JOB_TIMEOUT)
    expect(alert).to_contain_text("web")
    expect(alert).to_contain_text("restored")
    shot(page, "en-12-upgrade-failed")
    failed_job = page.url
    page.goto(f"{url}/installations/{instance}")
    expect(page.locator("tr[data-revision='4']")).to_contain_text("failed")
    expect(page.locator("h1")).to_contain_text("shop:1.0.0")
    app_page.goto(f"{app_url}/cgi-bin/api/items")
    expect(app_page.locator("body")).to_contain_text("console-teapot")

    # logs: the tail, and a download
    page.goto(f"{url}/installations/{instance}")
    page.get_by_role("link", name="worker").click()
    expect(page.locator("#log")).to_contain_text("worker started")
    shot(page, "en-11-logs")
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download").click()
    assert "worker started" in Path(downloading.value.path()).read_text()

    photograph_in_chinese(browser, url, instance)
    read_jobs_in_chinese(browser, url, upgrade_job, failed_job)
    photograph_in_english(page, url, instance)

    # uninstall: the data goes only after typing the name
    page.goto(f"{url}/installations/{instance}/uninstall")
    zone = page.locator(".danger-zone")
    zone.locator("input[name=confirm_name]").fill("wrong")
    zone.get_by_role("button").click()
    expect(page.get_by_role("alert")).to_contain_text("type the installation's name")
    zone = page.locator(".danger-zone")
    zone.locator("input[name=confirm_name]").fill(instance)
    zone.get_by_role("button").click()
    wait_done(page, f"{instance} is uninstalled")
    expect(page.locator(".result")).to_contain_text("Volumes deleted")
    page.goto(f"{url}/installations")
    expect(page.get_by_text("Nothing is installed yet.")).to_be_visible()
    assert not docker_client.containers.list(all=True, filters={"name": instance})

    # the market: remove a version (the browser asks first)
    page.goto(f"{url}/market/shop/1.1.0")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove shop:1.1.0").click()
    wait_done(page, "Removed shop:1.1.0")
    page.goto(f"{url}/market")
    expect(page.locator("tbody tr")).to_have_count(2)  # 1.0.0 and 1.2.0 are left


def second_browser(browser: Browser, url: str, job_url: str, outcome: str) -> None:
    """Another browser (its own login) follows the same running job to its end."""
    context = browser.new_context(locale="en-US")
    other = context.new_page()
    log_in(other, url)
    other.goto(job_url)
    expect(other.locator("h1")).to_contain_text("upgrade")
    wait_done(other, outcome)
    context.close()


def photograph_in_english(page: Page, url: str, instance: str) -> None:
    for name, path in _pages(instance):
        page.goto(url + path)
        shot(page, f"en-{name}")


def photograph_in_chinese(browser: Browser, url: str, instance: str) -> None:
    """The same pages for a browser that prefers Chinese (Accept-Language: zh-CN)."""
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{url}/login")
    expect(page.locator("h1")).to_contain_text("登录")
    shot(page, "zh-01-login")
    log_in(page, url)
    expect(page.locator("nav")).to_contain_text("安装实例")
    for name, path in _pages(instance):
        page.goto(url + path)
        shot(page, f"zh-{name}")
    page.goto(f"{url}/installations/{instance}/upgrade?version=1.1.0")
    expect(page.locator("h1")).to_contain_text("升级")
    context.close()


def read_jobs_in_chinese(browser: Browser, url: str, upgrade_job: str, failed_job: str) -> None:
    """What the library said while the jobs ran (progress lines, the health gate's reason,
    the restore) reads in Chinese, names and versions kept."""
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    log_in(page, url)
    page.goto(upgrade_job)
    lines = page.locator("#job-lines")
    expect(lines).to_contain_text("创建 metrics（新组件）")
    expect(lines).to_contain_text("metrics 已就绪")
    expect(lines).not_to_contain_text("is ready")
    shot(page, "zh-14-job-progress")
    page.goto(failed_job)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("升级到 shop:1.2.0 失败：组件 web：")
    expect(alert).to_contain_text("已恢复修订版本 3（shop:1.0.0）")
    expect(alert).to_contain_text("web 的最后几行日志")
    shot(page, "zh-15-job-failed")
    context.close()


def _pages(instance: str) -> list[tuple[str, str]]:
    return [
        ("02-installations", "/installations"),
        ("03-market", "/market"),
        ("04-version", "/market/shop/1.1.0"),
        ("05-import", "/import"),
        ("06-install-form", "/install/shop/1.1.0"),
        ("09-upgrade-plan", f"/installations/{instance}/upgrade?version=1.1.0"),
        ("10-history", f"/installations/{instance}"),
        ("11-logs", f"/installations/{instance}/logs?component=worker"),
        ("12-uninstall", f"/installations/{instance}/uninstall"),
        ("13-jobs", "/jobs"),
    ]


def test_over_tls_a_browser_logs_in_with_a_secure_strict_cookie(
    browser: Browser, tmp_path: Path
) -> None:
    """The console served over TLS (a self-signed certificate made now by openssl) on
    127.0.0.1: Chromium logs in, sees the dashboard and the market, and holds a session
    cookie that is Secure, HttpOnly and SameSite=Strict."""
    tls = self_signed(tmp_path)
    home, media = tmp_path / "home", tmp_path / "media"
    media.mkdir()
    shop_store(home)  # two versions, stored without a record of their origin
    with console(home, media, *tls) as running:
        assert running.url.startswith("https://127.0.0.1:")
        context = browser.new_context(locale="en-US", ignore_https_errors=True)
        page = context.new_page()
        log_in(page, running.url)
        expect(page.locator("h1")).to_have_text("Installations")
        expect(page.get_by_text("Nothing is installed yet.")).to_be_visible()
        [session] = [c for c in context.cookies() if c["name"] == "sealift_session"]
        assert (session["secure"], session["httpOnly"]) == (True, True)
        assert session["sameSite"] == "Strict" and session["domain"] == "127.0.0.1"
        assert session["expires"] > 0  # expires, not a cookie kept until the browser quits
        page.goto(f"{running.url}/market")
        expect(page.locator("tbody tr")).to_have_count(2)
        expect(page.locator("tbody tr").first).to_contain_text("unknown")
        shot(page, "en-16-market-over-tls")
        context.close()


def test_a_bad_upload_that_the_console_stops_reading_shows_its_error(
    browser: Browser, running: RunningConsole, tmp_path: Path
) -> None:
    """A file that is no bundle: the import fails at its first block and the console
    stops reading the body while the browser still sends it. The answer may be lost with
    the connection; the page finds the import's job anyway and shows its one error."""
    junk = tmp_path / "not-a-bundle.tar"
    with junk.open("wb") as out:
        out.write(b"this is no tar file".ljust(512, b"!"))
        out.truncate(256 * 1024 * 1024)
    page = browser.new_page(locale="en-US")
    log_in(page, running.url)
    page.goto(f"{running.url}/import")
    page.locator("input[type=file]").set_input_files(str(junk))
    page.get_by_role("button", name="Upload and import").click()
    expect(page).to_have_url(re.compile(r"/jobs/"), timeout=JOB_TIMEOUT)
    alert = page.get_by_role("alert")
    expect(alert).to_have_count(1, timeout=JOB_TIMEOUT)
    expect(alert).to_contain_text("not-a-bundle.tar is not a sealift bundle")
    page.goto(f"{running.url}/market")
    expect(page.get_by_text("The market is empty")).to_be_visible()
