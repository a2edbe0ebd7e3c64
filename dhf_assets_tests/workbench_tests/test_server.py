"""The workbench server over HTTP (no browser): security rules, refusals, and a build holding DuckDB."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from dhf_assets.workbench.serve import is_loopback
from dhf_assets_tests.dataset_fixture import build_fixture

from .conftest import env_for


@pytest.fixture(scope="module")
def fixture_env(tmp_path_factory):
    root = tmp_path_factory.mktemp("wbserver")
    (root / "dagster_home").mkdir()
    build_fixture(root)
    return root, env_for(root)


def fetch(url: str, data: dict | None = None, headers: dict | None = None) -> tuple[int, str]:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers or {}, method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def token_of(page: str) -> str:
    return page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("::1", True), ("localhost", True),
                                            ("0.0.0.0", False), ("192.168.1.5", False), ("example.org", False)])
def test_loopback_hosts(host, loopback):
    assert is_loopback(host) is loopback


def test_another_address_needs_the_explicit_flag(fixture_env):
    _, env = fixture_env
    result = subprocess.run([sys.executable, "-m", "dhf_assets.cli", "review", "serve", "--host", "0.0.0.0"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--allow-remote" in result.stderr


def test_requests_are_checked_and_text_is_escaped(fixture_env, servers):
    root, env = fixture_env
    server = servers(env)
    with urllib.request.urlopen(f"{server.url}/cave/A1", timeout=30) as response:
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        page = response.read().decode()
    face_id = page.split('data-face="', 1)[1].split('"', 1)[0]
    decide = f"{server.url}/api/decide"
    good = {"Content-Type": "application/json", "X-CSRF-Token": token_of(page)}
    body = {"face_ids": [face_id], "decision": "accept_500", "tags": ["<img src=x onerror=alert(1)>"],
            "reviewer": "<script>alert(1)</script>"}
    review_file = root / "archive" / "reviews" / "A1.csv"
    assert fetch(decide, body, {"Content-Type": "application/json"})[0] == 403  # no token
    assert fetch(decide, body, {**good, "X-CSRF-Token": "guess"})[0] == 403
    assert fetch(decide, body, {**good, "Origin": "http://evil.example"})[0] == 403
    assert fetch(decide, {**body, "face_ids": ["nope"]}, good)[0] == 400
    assert fetch(decide, {**body, "decision": "correct", "identity": "XX"}, good)[0] == 400
    assert not review_file.exists()  # nothing refused was written
    status, answer = fetch(decide, body, {**good, "Origin": server.url})
    assert status == 200 and json.loads(answer)["faces"][face_id]["status"] == "in_500"
    assert "<script>alert(1)</script>" in review_file.read_text()
    status, detail = fetch(f"{server.url}/face/{face_id}")
    assert status == 200 and "<script>alert(1)" not in detail and "&lt;script&gt;alert(1)&lt;/script&gt;" in detail
    assert "<img src=x" not in detail and "&lt;img src=x onerror=alert(1)&gt;" in detail
    assert fetch(f"{server.url}/cave/A1", headers={"Host": f"evil.example:{server.port}"})[0] == 400  # DNS rebinding
    for hostile in ("..%2F..%2Fdhf.duckdb", "%2Fetc%2Fpasswd", "A1%2Fm1", face_id + "%00"):
        assert fetch(f"{server.url}/img/crop/{hostile}")[0] == 404
    assert fetch(f"{server.url}/img/thumb/{face_id}")[0] == 200 and fetch(f"{server.url}/img/mural/{face_id}")[0] == 200


HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("create table if not exists build_marker (i integer)")
con.execute("insert into build_marker values (1)")
con.execute("checkpoint")
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_while_a_build_writes_the_page_serves_the_snapshot_and_says_so(fixture_env, servers):
    root, env = fixture_env
    server = servers(env)
    assert "A1" in fetch(f"{server.url}/cave/A1")[1]
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(root / "dhf.duckdb"), "8"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        time.sleep(1.1)  # the server looks at the file at most once a second
        status, page = fetch(f"{server.url}/cave/A1")
        assert status == 200 and "a build is writing the tables" in page and 'class="card' in page
    finally:
        holder.wait(30)
    time.sleep(1.1)
    status, page = fetch(f"{server.url}/cave/A1")
    assert status == 200 and "a build is writing" not in page
