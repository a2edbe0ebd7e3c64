"""The mural view in a real browser: a curator accepts a mural's proposals, fixes one box by dragging its
edge, labels one, rejects a false one, writes the VOC file; the archive scan and lib/ingest/voc.py accept it."""

from __future__ import annotations

import csv
import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest

if os.environ.get("DHF_REQUIRE_BROWSER") != "1" and not os.environ.get("CI"):
    pytest.importorskip("selenium", reason="the browser tests need selenium (pip install -e '.[test]')")
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

from dhf_assets.lib.ingest.archive import scan_cave
from dhf_assets.lib.ingest.boxes import voc_to_pixel_box
from dhf_assets.lib.ingest.voc import parse_voc_file
from dhf_assets.lib.sample.build import build_sample_archive

from .conftest import _require_browser, env_for
from .proposal_fixture import CAVE, HOSTILE, MURAL, OFF_BY, proposal_rows, set_aside_xml

SHOTS = os.environ.get("DHF_SCREENSHOT_DIR")


def press(driver, *keys: str) -> None:
    for key in keys:
        driver.find_element(By.TAG_NAME, "body").send_keys(key)


def wait_flash(driver, text: str) -> None:
    WebDriverWait(driver, 10).until(lambda d: text in d.find_element(By.ID, "flash").text,
                                    f"never said {text!r}: {driver.find_element(By.ID, 'flash').text}")


def status_of(url: str, body: dict | None = None, headers: dict | None = None) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body else None, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_curator_confirms_proposals_and_writes_the_murals_voc_file(tmp_path, servers, browsers):
    _require_browser()
    build_sample_archive(tmp_path / "archive")
    faces, others = set_aside_xml(tmp_path / "archive")
    ids = proposal_rows(tmp_path / "dhf.duckdb", tmp_path / "archive", faces, others)
    server = servers(env_for(tmp_path), "--reviewer", "ana")
    driver = browsers()
    driver.get(server.url)  # no faces in the tables yet: the header's link leads to the murals
    driver.find_element(By.ID, "muralsnav").click()
    driver.find_element(By.LINK_TEXT, MURAL).click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".pbox.cursor"))
    box = driver.find_element(By.CSS_SELECTOR, ".pbox.cursor")
    zoom = box.rect["width"] / (faces[0][2] + OFF_BY - faces[0][0])  # screen px per mural px
    ActionChains(driver).click_and_hold(box.find_element(By.CSS_SELECTOR, ".edge-e")) \
        .move_by_offset(round(-OFF_BY * zoom), 0).release().perform()  # drag the right edge onto the face
    wait_flash(driver, "Box adjusted")
    press(driver, "i")
    Select(driver.switch_to.active_element).select_by_value("DN")
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    press(driver, "a")
    wait_flash(driver, "Saved: accept")
    for _ in faces[1:]:  # the cursor moves on after each decision: accept every face, reject the cloud
        press(driver, "a")
    press(driver, "x")
    WebDriverWait(driver, 10).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".pbox.accept")) == len(faces)
                                    and d.find_elements(By.CSS_SELECTOR, ".pbox.reject"))
    WebDriverWait(driver, 10).until(lambda d: HOSTILE in d.find_element(By.ID, "pstatus").text)  # shown as text
    assert driver.find_elements(By.ID, "pwned") == [] and driver.title.startswith("Mural")
    press(driver, "+", "+")  # zoomed in, the view fetches sharper tiles of a finer level
    WebDriverWait(driver, 10).until(lambda d: any("/tile/MG045/south_wall/0/" in (i.get_attribute("src") or "")
                                                  for i in d.find_elements(By.CSS_SELECTOR, "#tiles img")))
    press(driver, "0", "w")
    WebDriverWait(driver, 20).until(lambda d: "written" in d.find_element(By.ID, "writeresult").text)
    if SHOTS:
        press(driver, "k", "k")  # back on an accepted face
        driver.save_screenshot(str(Path(SHOTS) / "workbench_mural.png"))

    xml = tmp_path / "archive" / "murals" / CAVE / f"{MURAL}.xml"
    annotation = parse_voc_file(xml)
    assert annotation.size == (1800, 1200)
    written = [(voc_to_pixel_box(o, 1800, 1200).box.as_tuple(), o.name) for o in annotation.objects]  # type: ignore[union-attr]
    assert len(written) == len(faces)
    dragged = next(b for b, name in written if name == "DN")
    assert dragged[:2] == faces[0][:2] and abs(dragged[2] - faces[0][2]) <= 2 and dragged[3] == faces[0][3]
    assert sorted(b for b, _ in written if b != dragged) == faces[1:]
    murals, problems = scan_cave(xml.parent)
    assert {m.mural_id: m.voc_path for m in murals}[MURAL] == xml and all(p.severity == "info" for p in problems)
    with (tmp_path / "archive" / "reviews" / f"{CAVE}.proposals.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(ids) and {r["reviewer"] for r in rows} == {"ana"}  # requests run at once: any order
    assert {r["proposal_id"]: r["decision"] for r in rows} == dict.fromkeys(ids[:len(faces)],
                                                                            "accept") | {ids[-1]: "reject"}

    # Security: tiles by integers within the pyramid only; writes need the page's CSRF token.
    assert status_of(f"{server.url}/tile/{CAVE}/{MURAL}/9/0/0.jpg") == 404
    assert status_of(f"{server.url}/tile/{CAVE}/..%2F..%2Fcaves.csv/0/0/0.jpg") == 404
    forged = {"cave_id": CAVE, "mural_id": MURAL, "merge": True}
    assert status_of(f"{server.url}/api/proposals/write", forged, {"Content-Type": "application/json"}) == 403
    again = driver.execute_async_script(
        "const done = arguments[0]; fetch('/api/proposals/write', {method: 'POST', headers: {'Content-Type': "
        "'application/json', 'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content}, body: "
        "JSON.stringify({cave_id: 'MG045', mural_id: 'south_wall', merge: false})}).then(r => r.json()).then(done);")
    assert again["ok"] is False and "exists" in again["lines"][0]  # an existing XML is never overwritten
