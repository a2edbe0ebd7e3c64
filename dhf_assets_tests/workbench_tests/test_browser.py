"""The workbench in a real browser: keys decide, undo, bulk, 500 with tags, a correction, SIGKILL and
restart, two browsers on one cave; the review file holds every decision and `dhf build` uses them."""

from __future__ import annotations

import csv
import json
import os
import threading
from pathlib import Path

import pytest

if os.environ.get("DHF_REQUIRE_BROWSER") != "1" and not os.environ.get("CI"):
    pytest.importorskip("selenium", reason="the browser tests need selenium (pip install -e '.[test]')")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

from dhf_assets.lib.storage.db import query

from .conftest import CAVE, dhf

SHOTS = os.environ.get("DHF_SCREENSHOT_DIR")  # set to write the README's screenshots


def review_rows(root: Path) -> list[dict[str, str]]:
    with (root / "archive" / "reviews" / f"{CAVE}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def press(driver, *keys: str) -> None:
    body = driver.find_element(By.TAG_NAME, "body")
    for key in keys:
        body.send_keys(key)


def card_ids(driver) -> list[str]:
    return [c.get_attribute("data-face") for c in driver.find_elements(By.CSS_SELECTOR, ".card")]


def wait_status(driver, face_id: str, status: str) -> None:
    selector = f'.card[data-face="{face_id}"]'
    WebDriverWait(driver, 10).until(
        lambda d: status in d.find_element(By.CSS_SELECTOR, selector).get_attribute("class").split(),
        f"{face_id} never showed {status}: {driver.find_element(By.ID, 'flash').text}")


def open_grid(driver, server, query_string: str = "") -> list[str]:
    driver.get(f"{server.url}/cave/{CAVE}?{query_string}")
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".card.cursor"))
    return card_ids(driver)


def test_a_reviewer_decides_by_keyboard_and_nothing_is_lost(sample_cave, servers, browsers):
    root, env = sample_cave
    before = len(review_rows(root))  # the sample ships four 500 decisions
    server = servers(env, "--reviewer", "ana")
    driver = browsers()
    faces = open_grid(driver, server, "status=candidate")
    assert len(faces) >= 12
    press(driver, "a")  # accept the first into 3k; the cursor moves on
    wait_status(driver, faces[0], "accepted")
    press(driver, "x")
    wait_status(driver, faces[1], "rejected")
    press(driver, "u")  # undo the reject
    wait_status(driver, faces[1], "undecided")
    press(driver, " ", Keys.SHIFT + "j", Keys.SHIFT + "j", Keys.SHIFT + "j")  # the cursor is on face 2: select 2..5
    assert driver.find_element(By.ID, "selcount").text == "4"
    press(driver, "a")  # one key, the whole selection
    for face_id in faces[2:6]:
        wait_status(driver, face_id, "accepted")
    press(driver, "j")  # a bulk decision leaves the cursor where it was: on to face 6
    press(driver, "f")
    tag_input = driver.find_element(By.ID, "taginput")
    WebDriverWait(driver, 5).until(lambda d: tag_input.is_displayed())
    tag_input.send_keys("crown; <b>serene</b>", Keys.ENTER)
    wait_status(driver, faces[6], "in_500")
    if SHOTS:
        driver.save_screenshot(str(Path(SHOTS) / "workbench_grid.png"))

    # the detail view: the crop, the mural with its box, every earlier decision; correct the identity
    driver.find_element(By.CSS_SELECTOR, f'.card[data-face="{faces[6]}"]').click()
    press(driver, Keys.ENTER)
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "detail"))
    page = driver.page_source.replace("&lt;", "<").replace("&gt;", ">")
    assert "accept" in driver.find_element(By.ID, "history").text and "<b>serene</b>" in page
    assert not driver.find_elements(By.CSS_SELECTOR, "#history b")  # the tag is text, not markup
    Select(driver.find_element(By.ID, "identitysel")).select_by_value("D")
    driver.find_element(By.ID, "correctbtn").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "identity").text == "D")
    if SHOTS:
        driver.refresh()
        WebDriverWait(driver, 10).until(lambda d: d.execute_script(
            "return Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"))
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(str(Path(SHOTS) / "workbench_detail.png"))

    rows = review_rows(root)[before:]
    assert [(r["face_id"], r["decision"], r["subset"]) for r in rows] == [
        (faces[0], "accept", "3k"), (faces[1], "reject", ""), (faces[1], "undo", ""),
        *[(f, "accept", "3k") for f in faces[2:6]], (faces[6], "accept", "500"), (faces[6], "correct", "")]
    assert rows[7]["tags"] == "crown;<b>serene</b>" and rows[8]["identity"] == "D"
    assert {r["reviewer"] for r in rows} == {"ana"} and all(r["reviewed_at"] for r in rows)

    # a crash loses nothing: SIGKILL the server, start another, and every decision is on the page
    server.kill()
    server = servers(env, "--reviewer", "ana")
    shown = open_grid(driver, server, "status=candidate")
    states = {c.get_attribute("data-face"): c.get_attribute("class").split()[1]
              for c in driver.find_elements(By.CSS_SELECTOR, ".card")}
    assert [states[f] for f in faces[:7]] == ["accepted", "undecided", *["accepted"] * 4, "in_500"] and shown == faces

    # two browsers on two server processes of the same cave decide at once: every line lands
    rejected_before = [r["face_id"] for r in review_rows(root) if r["decision"] == "reject"]
    second = servers(env)
    other = browsers()
    other.get(f"{second.url}/cave/{CAVE}")
    other.find_element(By.ID, "reviewer").send_keys("bo", Keys.TAB)  # a reviewer without --reviewer types a name
    undecided = open_grid(other, second, "status=undecided")
    mine, theirs = undecided[: len(undecided) // 2], undecided[len(undecided) // 2:]
    open_grid(driver, server, "status=undecided")
    run_other = threading.Thread(target=lambda: (open_grid(other, second, "status=undecided&sort=score_asc"),
                                                 press(other, *["x"] * len(theirs))))
    run_other.start()
    press(driver, *["x"] * len(mine))
    run_other.join(60)
    for face_id in mine:
        wait_status(driver, face_id, "rejected")
    for face_id in theirs:
        wait_status(other, face_id, "rejected")
    rejects = [r for r in review_rows(root) if r["decision"] == "reject"][len(rejected_before):]
    assert sorted(r["face_id"] for r in rejects) == sorted(mine + theirs)
    assert {r["reviewer"] for r in rejects} == {"ana", "bo"}

    # the tables follow the files after a build
    dhf(env, "build", "--cave", CAVE)
    database = root / "dhf.duckdb"
    in_3k = {f for (f,) in query(database, "select face_id from subset_3k where cave_id = ?", [CAVE])[1]}
    assert set(faces[0:1] + faces[2:7]) <= in_3k and faces[1] not in in_3k
    assert query(database, "select tags from subset_500 where face_id = ?",
                 [faces[6]])[1] == [(["crown", "<b>serene</b>"],)]
    assert query(database, "select identity, identity_source from stg_faces where face_id = ?",
                 [faces[6]])[1] == [("D", "review:ana")]
    assert query(database, "select count(*) from face_reviews where face_id = ?",
                 [faces[1]])[1] == [(1,)]  # rejected later
    exported = root / "output" / "exports" / "paper_layout"
    record = json.loads((exported / "Dunhuang_Faces-500" / f"{faces[6]}.json").read_text())
    assert record["identity"] == "D" and record["tags"] == ["crown",
                                                            "<b>serene</b>"]  # the correction reaches the exports
    rows_20k = list(csv.DictReader((exported / "Dunhuang_Faces-20k" / "faces.csv").open(newline="")))
    assert [r["identity"] for r in rows_20k if r["face_id"] == faces[6]] == ["D"]  # the 20k VOC rewrite too
