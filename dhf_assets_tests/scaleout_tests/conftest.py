"""Servers for the scale-out tests: Redis and a private PostgreSQL on free loopback ports, Celery workers.

Every process is started here as a subprocess and stopped by its own PID (the workers by their own
process group). Missing binaries or packages skip the tests with the reason, or fail them under
DHF_REQUIRE_SCALEOUT=1 (set by CI, which installs them).
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"
PG_SUPERUSER = "postgres"
PACKAGES = ("dagster_celery", "dagster_postgres", "dagster_k8s", "celery", "redis", "psycopg2")


def unavailable(message: str) -> None:
    """Skip, or fail under DHF_REQUIRE_SCALEOUT=1."""
    if os.environ.get("DHF_REQUIRE_SCALEOUT") == "1":
        pytest.fail(message)
    pytest.skip(message)


def require_packages() -> None:
    missing = [name for name in PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        unavailable(f"scale-out packages missing: {', '.join(missing)} "
                    "(pip install -c requirements/constraints.txt '.[scaleout]')")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(ready, proc: subprocess.Popen, what: str, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{log.read_text(errors='replace')[-4000:]}")
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} not ready after {timeout:.0f} s:\n{log.read_text(errors='replace')[-4000:]}")


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
    """Stop one process we started, by its PID; SIGKILL if it does not go in time."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def stop_group(proc: subprocess.Popen, timeout: float = 20.0) -> None:
    """Stop a process started in its own session and everything it spawned (group id = its PID)."""
    def group_alive() -> bool:
        try:
            os.killpg(proc.pid, 0)
            return True
        except ProcessLookupError:
            return False

    for sig, wait_s in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
        if not group_alive():
            break
        os.killpg(proc.pid, sig)
        deadline = time.monotonic() + wait_s
        while group_alive() and time.monotonic() < deadline:
            proc.poll()  # reap the leader so the group can empty
            time.sleep(0.2)
    proc.poll()


# --- Redis ---------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """redis://127.0.0.1:PORT of a private redis-server without persistence."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server not found (apt-get install -y redis-server)")
    folder = tmp_path_factory.mktemp("redis")
    port = free_port()
    log = folder / "redis.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(folder), "--daemonize", "no"],
            stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        wait_until(lambda: _redis_pings(port), proc, "redis-server", log)
        yield f"redis://127.0.0.1:{port}"
    finally:
        stop(proc)


def _redis_pings(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


# --- PostgreSQL ----------------------------------------------------------------------------------

def postgres_bin_dir() -> Path | None:
    if os.environ.get("DHF_PG_BIN"):
        return Path(os.environ["DHF_PG_BIN"])
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else None


@dataclass
class PostgresServer:
    port: int

    def connect(self, database: str = "postgres"):
        import psycopg2

        return psycopg2.connect(host="127.0.0.1", port=self.port, user=PG_SUPERUSER, dbname=database)

    def create_database(self, name: str) -> str:
        """A new, empty database; returns its URL."""
        connection = self.connect()
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'create database "{name}"')  # a name made by the fixture, never user input
        connection.close()
        # SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3; dagster-postgres brings psycopg2.
        return f"postgresql+psycopg2://{PG_SUPERUSER}@127.0.0.1:{self.port}/{name}"

    def ready(self) -> bool:
        try:
            self.connect().close()
            return True
        except Exception:  # noqa: BLE001 - any failure means "not yet"
            return False


@pytest.fixture(scope="session")
def postgres_server():
    """A private PostgreSQL cluster in a temporary folder, trusted on 127.0.0.1 only.

    The server refuses to run as root: as root the cluster belongs to the `postgres` user
    and the server runs as that user.
    """
    require_packages()
    bin_dir = postgres_bin_dir()
    if bin_dir is None or not (bin_dir / "postgres").exists():
        unavailable("PostgreSQL server binaries not found (apt-get install -y postgresql; or set DHF_PG_BIN)")
    as_user = {}
    # Not under pytest's tmp folder: its parents are private to root, and the server runs as postgres.
    folder = Path(tempfile.mkdtemp(prefix="dhf-pg-"))
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam(PG_SUPERUSER)
        except KeyError:
            shutil.rmtree(folder)
            unavailable("running as root without a `postgres` user to run the server as")
        os.chown(folder, account.pw_uid, account.pw_gid)
        as_user = {"user": account.pw_uid, "group": account.pw_gid}
    log = folder / "postgres.log"
    proc = None
    try:
        subprocess.run([str(bin_dir / "initdb"), "-D", str(folder / "data"), "-U", PG_SUPERUSER, "-A", "trust",
                        "-E", "UTF8", "--no-sync"], check=True, capture_output=True, cwd=folder, **as_user)
        server = PostgresServer(free_port())
        # Started in the foreground (not `pg_ctl start`) so that this fixture holds its PID.
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [str(bin_dir / "postgres"), "-D", str(folder / "data"), "-p", str(server.port), "-k", str(folder),
                 "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
                 "-c", "full_page_writes=off"],
                stdout=out, stderr=subprocess.STDOUT, cwd=folder, **as_user,
            )
        wait_until(server.ready, proc, "postgres", log)
        yield server
    finally:
        if proc is not None:
            stop(proc, signal.SIGINT)  # "fast" shutdown: ends open connections, no wait for clients
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server, request) -> str:
    """A fresh database per test."""
    name = "dhf_" + "".join(c if c.isalnum() else "_" for c in request.node.name.lower())[:50]
    return postgres_server.create_database(name)


# --- Celery workers ------------------------------------------------------------------------------

@dataclass
class Worker:
    name: str
    queue: str
    proc: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class CeleryWorkers:
    """Workers started with `dagster-celery worker start`, as deploy/celery/README.md says."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[Worker] = []

    def start(self, name: str, queue: str, env: dict[str, str], concurrency: int = 1) -> Worker:
        log = self.folder / f"worker-{name}.log"
        command = [str(Path(sys.executable).parent / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app",
                   "-y", str(DEPLOY / "celery" / "celery.yaml"), "-q", queue, "-n", name,
                   "--", f"--concurrency={concurrency}", "--without-gossip", "--without-mingle"]
        cwd = self.folder / f"cwd-{name}"  # not the project folder: paths must not depend on where it starts
        cwd.mkdir(exist_ok=True)
        with log.open("wb") as out:
            # Its own session: the `celery` process it spawns is stopped with it, by group id = its PID.
            proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        worker = Worker(name, queue, proc, log)
        self.started.append(worker)
        return worker

    def wait_ready(self, worker: Worker, timeout: float = 60.0) -> None:
        wait_until(lambda: f"{worker.name}@" in worker.output() and " ready." in worker.output(),
                   worker.proc, f"celery worker {worker.name}", worker.log, timeout)

    def stop_all(self) -> None:
        for worker in self.started:
            stop_group(worker.proc)


@pytest.fixture
def celery_workers(tmp_path):
    workers = CeleryWorkers(tmp_path)
    try:
        yield workers
    finally:
        workers.stop_all()
