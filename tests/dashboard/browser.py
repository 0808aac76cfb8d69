"""Server + browser harness for the end-to-end dashboard tests (and bench/pages.py).

The plain functions (`build_demo_warehouse`, `serve`, `launch`, `new_page`, `wait_settled`) work without
pytest so the benchmark can reuse them; the fixtures at the bottom wrap them for the browser suite.
The app must work with no internet: every page opened here refuses any request that is not to 127.0.0.1
and records it, so a test can assert nothing external was even attempted.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
XIAOBAO = ROOT / ".venv" / "bin" / "xiaobao"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
# Streamlit scrolls inside its own container, so a screenshot shows only the viewport: make it tall.
VIEWPORT = {"width": 1600, "height": 2400}
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
LOCAL_HOSTS = {"127.0.0.1"}

# A small demo: enough firms of both types for peer groups of 5+, two years so 同比 exists, and the demo
# generator's messy and broken files, so the 报送情况 page has rejected and held files to show.
DEMO_FIRMS = 16
DEMO_FROM, DEMO_TO = "2024Q1", "2025Q2"
DEMO_SEED = 7


def build_demo_warehouse(root: Path) -> tuple[Path, Path]:
    """`xiaobao demo` then `xiaobao ingest` into root/: returns (warehouse, registry).

    Driven through the console command, as a secretariat user would, so the warehouse holds what a real
    ingest produces (accepted, rejected, held and superseded files). Exit 1 means some files were rejected
    or held, which the demo does on purpose.
    """
    demo, warehouse = root / "demo", root / "parquet"
    _run([str(XIAOBAO), "demo", str(demo), "--firms", str(DEMO_FIRMS), "--from", DEMO_FROM, "--to", DEMO_TO,
          "--seed", str(DEMO_SEED)], ok=(0,))
    registry = demo / "firms.csv"
    _run([str(XIAOBAO), "ingest", str(demo / "submissions"), "--warehouse", str(warehouse),
          "--registry", str(registry), "--report", str(root / "report.json")], ok=(0, 1))
    return warehouse, registry


def _run(cmd: list[str], ok: tuple[int, ...]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, check=False, capture_output=True, text=True, cwd=ROOT, timeout=600)
    if done.returncode not in ok:
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base_url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"xiaobao serve exited early with code {proc.returncode}")
        with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError), \
                urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.05)
    raise TimeoutError(f"{base_url}/_stcore/health not OK after {timeout:.0f} s")


@contextlib.contextmanager
def serve(warehouse: Path, registry: Path | None = None, log: Path | None = None,
          port: int | None = None) -> Iterator[str]:
    """`xiaobao serve` on 127.0.0.1 in its own process group; yields the base URL; stops it by its PID."""
    port = port or free_port()
    cmd = [str(XIAOBAO), "serve", "--host", "127.0.0.1", "--port", str(port), "--warehouse", str(warehouse)]
    if registry is not None:
        cmd += ["--registry", str(registry)]
    log = log or SCREENSHOTS.parent / f"serve-{port}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_healthy(base_url, proc)
            yield base_url
        finally:
            stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (streamlit may have children), SIGKILL if it lingers."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def launch(playwright):  # -> playwright.sync_api.Browser
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def new_page(browser, blocked: list[str]):  # -> playwright.sync_api.Page
    """A page in a fresh context (own cookies, storage, downloads) that aborts and records external requests."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True, locale="zh-CN")

    def guard(route) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page


# A chart counts as drawn when plotly has put its SVG in; a map also needs its geo layer, which plotly draws
# only after it has loaded the topology (from our own static folder), so a moment after the SVG.
_CHARTS_DRAWN = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(c => {
    if (c.querySelector('.main-svg') === null) return false;
    const gd = c.querySelector('.js-plotly-plot');
    const full = (gd && gd._fullLayout) || {};
    const geos = (full._subplots && full._subplots.geo) || [];
    const choropleths = ((gd && gd._fullData) || []).filter(t => t.type === 'choropleth').length;
    return c.querySelectorAll('g.geo').length >= geos.length
        && (choropleths === 0 || c.querySelector('path.choroplethlocation') !== null);
})"""
_NOTHING_STALE = """() => document.querySelector('[data-stale="true"]') === null"""
# Element code is loaded lazily: until it arrives a widget or chart is drawn as a grey skeleton.
_NO_SKELETON = """() => document.querySelector(
    '[data-testid="stSkeleton"], [data-testid="stSkeletonElement"], [data-testid="stAppSkeleton"]') === null"""


def wait_settled(page, timeout: float = 30_000) -> None:
    """Wait until the script run is over, nothing on screen is left over from the previous run, no element
    is still a loading skeleton, and every plotly chart has drawn."""
    app = '[data-testid="stApp"]'
    page.wait_for_selector(f'{app}[data-test-connection-state="CONNECTED"]', timeout=timeout)
    page.wait_for_selector(f'{app}[data-test-script-state="notRunning"]', timeout=timeout)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=timeout)
    page.wait_for_function(_NOTHING_STALE, timeout=timeout)
    page.wait_for_function(_NO_SKELETON, timeout=timeout)
    page.wait_for_function(_CHARTS_DRAWN, timeout=timeout)


def open_page(page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    wait_settled(page)


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


# ---- pytest fixtures ---------------------------------------------------------------------------------

_BUILT: dict[str, tuple[Path, Path]] = {}


@pytest.fixture(scope="session")
def e2e_warehouse(tmp_path_factory) -> tuple[Path, Path]:
    """(warehouse, registry) of the demo, built once per session (this fixture is imported by more than
    one test module, each of which gets its own fixture definition: the build is shared through _BUILT)."""
    if "demo" not in _BUILT:
        _BUILT["demo"] = build_demo_warehouse(tmp_path_factory.mktemp("e2e"))
    return _BUILT["demo"]


@pytest.fixture(scope="session")
def app_url(e2e_warehouse) -> Iterator[str]:
    warehouse, registry = e2e_warehouse
    with serve(warehouse, registry) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def blocked_requests() -> list[str]:
    return []


@pytest.fixture
def page(chromium, blocked_requests) -> Iterator[object]:
    page = new_page(chromium, blocked_requests)
    try:
        yield page
    finally:
        page.context.close()
