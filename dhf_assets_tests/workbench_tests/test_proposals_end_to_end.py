"""Done-when of face proposals: on the sample with one mural's XML set aside, `dhf build` proposes its
faces, a curator accepts them in the browser (one adjusted by dragging), the write-back gives a VOC file
the pipeline accepts, and after a rebuild the mural's faces are back."""

from __future__ import annotations

import os

import pytest

if os.environ.get("DHF_REQUIRE_BROWSER") != "1" and not os.environ.get("CI"):
    pytest.importorskip("selenium", reason="the browser tests need selenium (pip install -e '.[test]')")
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from dhf_assets.lib.proposals.propose import iou
from dhf_assets.lib.sample.build import build_sample_archive
from dhf_assets.lib.storage.db import query

from .conftest import _require_browser, dhf, env_for
from .proposal_fixture import CAVE, MURAL, set_aside_xml

SQL = f"select xmin, ymin, xmax, ymax from {{}} where cave_id = '{CAVE}' and mural_id = '{MURAL}' order by all"


def test_proposed_confirmed_written_and_rebuilt(tmp_path, servers, browsers):
    _require_browser()
    build_sample_archive(tmp_path / "archive")
    faces, _ = set_aside_xml(tmp_path / "archive")
    (tmp_path / "dagster_home").mkdir()
    env = dict(env_for(tmp_path), DHF_PROPOSAL_DETECTORS="mtcnn")
    dhf(env, "build", "--cave", CAVE)
    database = tmp_path / "dhf.duckdb"
    proposed = query(database, SQL.format("face_proposals"))[1]
    assert len(proposed) == len(faces) and all(max(iou(f, p) for p in proposed) >= 0.5 for f in faces)

    server = servers(env, "--reviewer", "ana")
    driver = browsers()
    driver.get(f"{server.url}/mural/{CAVE}/{MURAL}")
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".pbox.cursor"))
    box = driver.find_element(By.CSS_SELECTOR, ".pbox.cursor")
    ActionChains(driver).click_and_hold(box.find_element(By.CSS_SELECTOR, ".edge-s")).move_by_offset(
        0, -6
    ).release().perform()
    WebDriverWait(driver, 10).until(lambda d: "Box adjusted" in d.find_element(By.ID, "flash").text)
    dragged = tuple(int(v) for v in driver.find_element(By.ID, "pbox").text.split(", "))
    for _ in proposed:
        driver.find_element(By.TAG_NAME, "body").send_keys("a")
    WebDriverWait(driver, 10).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".pbox.accept")) == len(proposed))
    driver.find_element(By.TAG_NAME, "body").send_keys("w")
    WebDriverWait(driver, 20).until(lambda d: "written" in d.find_element(By.ID, "writeresult").text)

    dhf(env, "build", "--cave", CAVE)
    back = query(database, SQL.format("faces"))[1]
    assert dragged in back and dragged not in proposed and len(back) == len(faces)
    assert all(max(iou(f, b) for b in back) >= 0.5 for f in faces)  # the cave's faces are back
    assert query(database, SQL.format("face_proposals"))[1] == []  # an annotated mural is not searched again
    assert query(database, f"select * from quarantine where stage = 'murals' and cave_id = '{CAVE}'")[1] == []
