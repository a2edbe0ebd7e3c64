"""A built sample cave, workbench server processes and headless chromium browsers (Selenium)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
CAVE = "MG045"


def _require_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip)")
    if missing:
        message = f"the browser tests need {', '.join(missing)} (apt-get install chromium chromium-driver)"
        if os.environ.get("DHF_REQUIRE_BROWSER") == "1" or os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def env_for(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DHF_ARCHIVE_DIR": str(root / "archive"), "DHF_OUTPUT_DIR": str(root / "output"),
        "DHF_DUCKDB_PATH": str(root / "dhf.duckdb"), "DAGSTER_HOME": str(root / "dagster_home"),
        "DHF_DETECTORS": "mtcnn", "DHF_UPSCALER": "lanczos", "DHF_AUTO_ACCEPT": "off",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]) + os.pathsep + env.get("PYTHONPATH", ""),
    })
    return env


def dhf(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dhf_assets.cli", *args], env=env, capture_output=True, text=True,
                          check=True, timeout=900)


@pytest.fixture(scope="module")
def sample_cave(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The sample archive with cave MG045 built (MTCNN, Lanczos, no auto-accept)."""
    _require_browser()
    from dhf_assets.lib.sample.build import build_sample_archive

    root = tmp_path_factory.mktemp("workbench")
    (root / "dagster_home").mkdir()
    build_sample_archive(root / "archive")
    env = env_for(root)
    dhf(env, "build", "--cave", CAVE)
    return root, env


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`dhf review serve` in its own process group, so a test can SIGKILL it like a crash."""

    def __init__(self, env: dict[str, str], *args: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dhf_assets.cli", "review", "serve", "--port", str(self.port), *args],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stdout.read()}")
            with closing(socket.socket()) as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise TimeoutError("the workbench did not start in 60 s")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(10)


@pytest.fixture
def servers():
    started: list[Server] = []

    def start(env: dict[str, str], *args: str) -> Server:
        started.append(Server(env, *args))
        return started[-1]

    yield start
    for server in started:
        server.kill(signal.SIGTERM)


@pytest.fixture
def browsers(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opened = []

    def open_browser():
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1360,900", f"--user-data-dir={tmp_path / f'profile{len(opened)}'}"):
            options.add_argument(argument)
        opened.append(webdriver.Chrome(service=Service(CHROMEDRIVER), options=options))
        return opened[-1]

    yield open_browser
    for driver in opened:
        driver.quit()
    shutil.rmtree(tmp_path, ignore_errors=True)
