"""Benchmark of the review workbench on a generated cave of 20,000 candidates (no build running).

Workload: one cave, 200 murals x 100 faces = 20,000 candidate crops (MTCNN scores, boxes, landmarks)
in DuckDB and 500 crop files; `dhf review serve` in its own process, driven over HTTP on loopback.
Measured: the time to the first grid page (60 faces, best score first) and to its 60 thumbnails;
the round trip of 200 single decisions (request to the line fsync'd on disk, the server answers
after the fsync); the server's RSS after the first page and after walking every page to the last.
Lower bound of a decision, measured in this run in one process: looking up the page's rows in memory
plus appending one line to the review file with flock + fsync (what the server must do at least).
Goals (issue 11): first page <= 0.5 s, decision p95 <= 50 ms, RSS growth <= 50 MB.

    .venv/bin/python bench/review.py [--faces 20000] [--decisions 200]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import closing
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
FIRST_PAGE_GOAL_S, DECISION_P95_GOAL_S, RSS_GROWTH_GOAL_MB = 0.5, 0.050, 50.0
PER_MURAL = 100


def make_cave(root: Path, faces: int) -> None:
    from dhf_assets.lib.storage.db import write_connection

    crops = root / "output" / "crops" / "BENCH"
    crops.mkdir(parents=True)
    for number in range(500):
        Image.new("RGB", (64, 72), (number % 256, 120, 90)).save(crops / f"{number}.png", compress_level=1)
    (root / "archive" / "reviews").mkdir(parents=True)
    with write_connection(root / "dhf.duckdb") as con:
        con.execute("""insert into murals select 'BENCH', 'm' || lpad(i::varchar, 3, '0'),
                       'murals/BENCH/m' || lpad(i::varchar, 3, '0') || '.jpg',
                       null, md5(i::varchar), null, 2000, 1400, 'JPEG', 1, 'HT', 'cave' from range(?) t(i)""",
                       [faces // PER_MURAL + 1])
        con.execute("""insert into faces select md5(i::varchar)[:16], 'BENCH',
                       'm' || lpad((i // ?)::varchar, 3, '0'), i % ?,
                       10, 10, 74, 82, 64, 72, ['BS','B','CM','VW','D','O','DN'][i % 7 + 1],
                       ['Frontal','Left','Right','Unspecified'][i % 4 + 1], 'crops/BENCH/' || (i % 500) || '.png',
                       md5(i::varchar)
                       from range(?) t(i)""", [PER_MURAL, PER_MURAL, faces])
        con.execute("""insert into face_candidates select md5(i::varchar)[:16], 'BENCH',
                       if(i % 10 = 0, 'dropped', 'candidate'),
                       if(i % 10 = 0, 'mtcnn: best score below 0.9', null), 0.8 + (hash(i) % 2000) / 10000.0,
                       'mtcnn', 0.9, 'any', 'mtcnn'
                       from range(?) t(i)""", [faces])
        con.execute("""insert into face_detections select md5(i::varchar)[:16], 'BENCH', 'mtcnn',
                       'facenet-pytorch-2.6.0', 1,
                       0.8 + (hash(i) % 2000) / 10000.0, [8.0, 9.0, 56.0, 66.0],
                       [20.0, 30.0, 44.0, 30.0, 32.0, 42.0, 22.0, 54.0, 42.0, 54.0]
                       from range(?) t(i)""", [faces])


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()


def post(url: str, body: dict, token: str) -> dict:
    request = urllib.request.Request(url, json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "X-CSRF-Token": token})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def lower_bound(root: Path, decisions: int) -> float:
    """p95 of: the page's 60 rows looked up in memory + one fsync'd, locked append of one line."""
    from dhf_assets.lib.reviews.writer import ReviewEntry, append_entries

    path = root / "bound.csv"
    rows = {f"f{i}": (f"f{i}", 0.9) for i in range(20000)}
    page = [f"f{i}" for i in range(60)]
    times = []
    for number in range(decisions):
        started = time.perf_counter()
        _ = [rows[f] for f in page]
        append_entries(path, [ReviewEntry(f"f{number}", "reject", "bench")])
        times.append(time.perf_counter() - started)
    return p95(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--faces", type=int, default=20000)
    parser.add_argument("--decisions", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        make_cave(root, args.faces)
        print(f"workload: 1 cave, {args.faces} candidates on {args.faces // PER_MURAL} murals, generated in "
              f"{time.perf_counter() - started:.1f} s; {args.decisions} single decisions; no build running")
        env = dict(os.environ, DHF_ARCHIVE_DIR=str(root / "archive"), DHF_OUTPUT_DIR=str(root / "output"),
                   DHF_DUCKDB_PATH=str(root / "dhf.duckdb"), DAGSTER_HOME=str(root / "home"),
                   PYTHONPATH=str(Path(__file__).resolve().parents[1]))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        server = subprocess.Popen([sys.executable, "-m", "dhf_assets.cli", "review", "serve", "--port", str(port),
                                   "--reviewer", "bench"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            while True:
                with closing(socket.socket()) as sock:
                    if sock.connect_ex(("127.0.0.1", port)) == 0:
                        break
                if server.poll() is not None or time.perf_counter() - started > 120:
                    raise RuntimeError("the server did not start")
                time.sleep(0.05)
            print(f"server start with the snapshot of {args.faces} faces loaded: {time.perf_counter() - started:.2f} s")
            started = time.perf_counter()
            page = get(f"{base}/cave/BENCH").decode()
            first_page_s = time.perf_counter() - started
            face_ids = [chunk.split('"', 1)[0] for chunk in page.split('data-face="')[1:]]
            started = time.perf_counter()
            for face_id in face_ids:
                get(f"{base}/img/thumb/{face_id}")
            thumbs_s = time.perf_counter() - started
            rss_first = rss_mb(server.pid)
            token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
            pages = int(page.split("page 1 of ", 1)[1].split()[0])
            started = time.perf_counter()
            for number in range(2, pages + 1):
                get(f"{base}/cave/BENCH?page={number}")
            walk_s = time.perf_counter() - started
            all_ids = face_ids
            round_trips = []
            for number in range(args.decisions):
                if number % 60 == 0 and number:
                    html = get(f"{base}/cave/BENCH?status=undecided").decode()
                    all_ids = [c.split('"', 1)[0] for c in html.split('data-face="')[1:]]
                face_id = all_ids[number % 60]
                started = time.perf_counter()
                answer = post(f"{base}/api/decide",
                              {"face_ids": [face_id], "decision": "reject" if number % 3 else "accept_3k"}, token)
                round_trips.append(time.perf_counter() - started)
                assert answer["saved"] == 1
            rss_last = rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(30)
        lines = (root / "archive" / "reviews" / "BENCH.csv").read_text().splitlines()
        assert len(lines) == args.decisions + 1, len(lines)
        bound = lower_bound(root, args.decisions)
        decision_p95 = p95(round_trips)
        growth = rss_last - rss_first
        print(f"first grid page (60 of {args.faces}): {first_page_s * 1000:.1f} ms (goal <= "
              f"{FIRST_PAGE_GOAL_S * 1000:.0f} ms); "
              f"its 60 thumbnails rendered and fetched: {thumbs_s * 1000:.0f} ms")
        print(f"walked pages 2..{pages}: {walk_s:.2f} s ({walk_s / max(pages - 1, 1) * 1000:.1f} ms a page)")
        print(f"decision round trip (request to the line fsync'd on disk), {args.decisions} decisions: "
              f"median {statistics.median(round_trips) * 1000:.2f} ms, p95 {decision_p95 * 1000:.2f} ms (goal <= "
              f"{DECISION_P95_GOAL_S * 1000:.0f} ms)")
        print(f"lower bound (page rows in memory + one locked, fsync'd append), p95: {bound * 1000:.2f} ms")
        print(f"server RSS: {rss_first:.1f} MB after the first page, {rss_last:.1f} MB after the last page and the "
              "decisions: "
              f"growth {growth:.1f} MB (goal <= {RSS_GROWTH_GOAL_MB:.0f} MB)")
        verdicts = [first_page_s <= FIRST_PAGE_GOAL_S, decision_p95 <= DECISION_P95_GOAL_S,
                    growth <= RSS_GROWTH_GOAL_MB]
        print("goals met: " + ", ".join(f"{name} {'yes' if ok else 'NO'}" for name, ok in
                                      zip(("first page", "decision p95", "RSS growth"), verdicts)))
        print(f"ratio={decision_p95 / bound:.2f} goal={DECISION_P95_GOAL_S / bound:.2f}")


if __name__ == "__main__":
    main()
