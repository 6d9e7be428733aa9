"""Browser tests: one real ``yingji serve`` (demo data, fresh temp dir) per session, driven by
Playwright's sync API through Debian's chromium (no browser downloads, ever).

Run: ``.venv/bin/python -m pytest tests/e2e -q -p no:cacheprovider``.
Screenshots go to ``test-artifacts/`` at the repository root (git-ignored); when a test fails,
each of its pages is photographed there and the server log is attached to the report.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
ARTIFACTS = ROOT / "test-artifacts"
HTMX = ROOT / "src" / "yingji" / "web" / "static" / "vendor" / "htmx" / "htmx.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
PASSWORD = "Yingji@2026"  # yingji.demo.DEMO_PASSWORD
TIMEOUT_MS = 10_000

_server_log: Path | None = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _log_text() -> str:
    if _server_log is None or not _server_log.exists():
        return "(no server log)"
    return _server_log.read_text(errors="replace")[-20_000:] or "(server log is empty)"


@contextmanager
def live_server(prefix: str, *, worker: bool = False, timeout: float = 120) -> Iterator[tuple[str, Path]]:
    """A live ``yingji serve`` on a free port with the demo data in a fresh temp dir: (base URL, var dir).

    With ``worker`` the server runs its job worker (in-process queue); the shared one does not. While it
    runs, its log is the one attached to failing tests' reports.
    """
    global _server_log
    if not HTMX.is_file():
        pytest.fail(f"front-end vendor files are missing ({HTMX.relative_to(ROOT)}): run `make install` "
                    "(or scripts/vendor.sh) before the browser tests", pytrace=False)
    if not (BIN / "yingji").exists():
        pytest.fail(f"{BIN / 'yingji'} not found: run `make install`", pytrace=False)
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    # The parent conftest sets YINGJI_* for the in-process tests; the server gets only its own.
    env = {k: v for k, v in os.environ.items() if not k.startswith("YINGJI_")}
    env.update(YINGJI_VAR_DIR=str(tmp / "var"), YINGJI_QUEUE_URL="memory://")
    previous_log, _server_log = _server_log, tmp / "server.log"
    with _server_log.open("wb") as log:
        demo = subprocess.run([str(BIN / "yingji"), "demo"], env=env, cwd=tmp, stdout=log,
                              stderr=subprocess.STDOUT, timeout=300, check=False)
    if demo.returncode != 0:
        pytest.fail(f"`yingji demo` failed (exit {demo.returncode}):\n{_log_text()}", pytrace=False)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = _server_log.open("ab")
    command = [str(BIN / "yingji"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if not worker:
        command.insert(2, "--no-worker")
    proc = subprocess.Popen(command, env=env, cwd=tmp, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited early (exit {proc.returncode}):\n{_log_text()}", pytrace=False)
            try:
                with urllib.request.urlopen(base + "/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer /health within {timeout:.0f} s:\n{_log_text()}",
                            pytrace=False)
            time.sleep(0.2)
        yield base, tmp / "var"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()
        _server_log = previous_log
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """Base URL of the session's live server (no job worker)."""
    with live_server("yingji-e2e-") as (base, _var):
        yield base


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found (install Debian's chromium; never `playwright install`)", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def new_page(request: pytest.FixtureRequest, browser: Any, server: str) -> Iterator[Callable[..., Any]]:
    """Factory: a page in a fresh browser context (own cookies). Chinese browser unless told otherwise."""
    contexts: list[Any] = []
    pages: list[Any] = []
    request.node._e2e_pages = pages

    def make(locale: str = "zh-CN", **options: Any) -> Any:
        context = browser.new_context(base_url=server, locale=locale, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        pages.append(page)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture()
def page(new_page: Callable[..., Any]) -> Any:
    return new_page()


def _sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person would."""
    page.goto("/login")
    form = page.locator("form[action='/login']")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture()
def sign_in() -> Callable[..., None]:
    """``sign_in(page, username)``: through the login form, with the demo password."""
    return _sign_in


@pytest.fixture()
def signed_in(new_page: Callable[..., Any]) -> Callable[..., Any]:
    """Factory: a fresh page signed in as a demo user."""
    def make(username: str, **options: Any) -> Any:
        page = new_page(**options)
        _sign_in(page, username)
        return page

    return make


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed and "server" in getattr(item, "fixturenames", ()):
        for n, page in enumerate(getattr(item, "_e2e_pages", [])):
            try:
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / f"failed-{item.name}-{n}.png"), full_page=True)
            except Exception:  # a closed page cannot be photographed; the log still helps
                pass
        report.sections.append(("yingji server log", _log_text()))
