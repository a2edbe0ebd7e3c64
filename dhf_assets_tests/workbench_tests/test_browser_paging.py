"""Paging, filters and the reviewer prompt in a real browser, on the small dataset fixture (no build)."""

import os

import pytest

if os.environ.get("DHF_REQUIRE_BROWSER") != "1" and not os.environ.get("CI"):
    pytest.importorskip("selenium", reason="the browser tests need selenium (pip install -e '.[test]')")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from dhf_assets_tests.dataset_fixture import build_fixture  # noqa: E402

from .conftest import _require_browser, env_for  # noqa: E402
from .test_browser import card_ids, press  # noqa: E402


def test_keys_turn_pages_filters_narrow_and_a_name_is_asked_for(tmp_path, servers, browsers):
    _require_browser()
    build_fixture(tmp_path)
    (tmp_path / "dagster_home").mkdir()
    server = servers({**env_for(tmp_path), "DHF_REVIEW_PAGE_SIZE": "4"})
    driver = browsers()
    driver.get(f"{server.url}/cave/A1")
    first = card_ids(driver)
    assert len(first) == 4 and "page 1 of 2" in driver.find_element(By.CLASS_NAME, "summary").text
    press(driver, "a")  # no reviewer name yet: nothing is saved, the page says why
    WebDriverWait(driver, 10).until(lambda d: "reviewer box" in d.find_element(By.ID, "flash").text)
    press(driver, "j", "j", "j", "j")  # past the last card: the next page, cursor on its first card
    WebDriverWait(driver, 10).until(lambda d: "page 2 of 2" in d.find_element(By.CLASS_NAME, "summary").text)
    second = card_ids(driver)
    assert len(second) == 2 and not set(first) & set(second)
    assert driver.find_element(By.CSS_SELECTOR, ".card.cursor").get_attribute("data-face") == second[0]
    press(driver, "k")  # and back
    WebDriverWait(driver, 10).until(lambda d: "page 1 of 2" in d.find_element(By.CLASS_NAME, "summary").text)
    driver.get(f"{server.url}/cave/A1?identity=BS")
    shown = driver.find_elements(By.CSS_SELECTOR, ".card .identity")
    assert shown and {s.text for s in shown} == {"BS"}
    driver.get(f"{server.url}/cave/A1?min_score=2")
    assert driver.find_elements(By.CSS_SELECTOR, ".card") == [] and "No face matches" in driver.page_source
