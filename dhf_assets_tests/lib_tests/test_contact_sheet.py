import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from dhf_assets.lib.reviews.contact_sheet import SheetItem, draw_thumbnail, write_contact_sheet
from dhf_assets.lib.reviews.reader import read_review_file

HOSTILE_ID = '<script>alert("id")</script>&"x'
HOSTILE_REASON = "retinaface: landmarks outside the crop (2 of 5) <img src=x onerror=alert(1)>"
LANDMARKS = ((30.0, 40.0), (70.0, 40.0), (50.0, 60.0), (35.0, 85.0), (65.0, 85.0))


def crop(tmp_path: Path, name: str, colour=(120, 90, 60)) -> Path:
    path = tmp_path / "crops" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (100, 120), colour).save(path)
    return path


def item(tmp_path, face_id, score, status="candidate", reason=None, crop_path=None) -> SheetItem:
    return SheetItem(face_id, "MC_045_N_03", crop_path or crop(tmp_path, face_id), "BS", "Frontal",
                     {"mtcnn": score, "retinaface": None}, (10.0, 10.0, 90.0, 110.0), LANDMARKS, status, reason)


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.refs += [value for name, value in attrs if name in ("src", "href")]


def test_sheet_files_exist_and_are_linked_relatively(tmp_path):
    out = tmp_path / "sheet"
    items = [item(tmp_path, "low", 0.5, "dropped", "mtcnn: best score 0.500 < 0.9"), item(tmp_path, "high", 0.99),
             item(tmp_path, "none", None, "dropped", "mtcnn: no face found")]
    index = write_contact_sheet(out, "MC_045", items)
    assert index == out / "index.html"
    page = index.read_text(encoding="utf-8")
    links = Links()
    links.feed(page)
    assert "script" not in links.tags
    thumbs = [ref for ref in links.refs if ref.startswith("thumbs/")]
    assert len(thumbs) == 3 and "review_template.csv" in links.refs
    for ref in links.refs:
        assert not ref.startswith(("/", "file:", "http")) and ".." not in ref
        assert (out / ref).is_file()
    with Image.open(out / thumbs[0]) as image:
        assert max(image.size) <= 240
    # best score first, unscored last
    assert re.findall(r'class="id">([^<]+)<', page) == ["high", "low", "none"]
    decisions, problems = read_review_file(out / "review_template.csv", "MC_045")
    assert decisions == [] and problems == []  # nothing reviewed yet, nothing wrong
    assert (out / "review_template.csv").read_text().splitlines()[1:] == ["high,,3k,,,,,", "low,,3k,,,,,",
                                                                          "none,,3k,,,,,"]


def test_hostile_text_is_escaped(tmp_path):
    hostile = SheetItem(HOSTILE_ID, 'm"<b>', crop(tmp_path, "h"), "<i>", "Left</p>", {"<svg>": 0.3},
                        None, (), "dropped", HOSTILE_REASON)
    page = write_contact_sheet(tmp_path / "sheet", "MC<045>", [hostile]).read_text(encoding="utf-8")
    links = Links()
    links.feed(page)
    assert set(links.tags) <= {"html", "head", "meta", "title", "style", "body", "h1", "p", "a", "code", "span",
                               "i", "div", "figure", "img", "figcaption", "table", "tr", "td"}
    for raw in (HOSTILE_ID, HOSTILE_REASON, 'm"<b>', "<svg>", "MC<045>"):
        assert raw not in page
    assert "&lt;script&gt;alert(&quot;id&quot;)&lt;/script&gt;&amp;&quot;x" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    thumb = next(ref for ref in links.refs if ref.startswith("thumbs/"))
    assert re.fullmatch(r"thumbs/[0-9a-f]{20}\.jpg", thumb)  # the id never becomes a path


@pytest.mark.parametrize("content", [None, b"not an image"])
def test_unreadable_crop_is_shown_as_such(tmp_path, content):
    path = tmp_path / "broken.png"
    if content is not None:
        path.write_bytes(content)
    page = write_contact_sheet(tmp_path / "sheet", "MC_045", [item(tmp_path, "f1", 0.95, crop_path=path)])
    text = page.read_text(encoding="utf-8")
    assert "crop not readable" in text and "<img" not in text


def test_thumbnail_draws_box_and_landmarks_even_off_the_crop(tmp_path):
    path = crop(tmp_path, "grey", (128, 128, 128))
    off = LANDMARKS[:3] + ((35.0, 200.0), (float("nan"), 85.0))  # one below the crop, one not a number
    sheet_item = SheetItem("f1", "m", path, None, None, {"mtcnn": 0.95}, (90.0, 110.0, 10.0, 10.0), off,
                           "dropped", "x")
    dest = tmp_path / "t.jpg"
    assert draw_thumbnail(sheet_item, dest)
    with Image.open(dest) as image:
        pixels = image.convert("RGB")
        scale = image.height / 120
        box_edge = pixels.getpixel((round(10 * scale), round(60 * scale)))
        left_eye = pixels.getpixel((round(30 * scale), round(40 * scale)))
    assert box_edge[1] > 180 and box_edge[0] < 90  # green line
    assert left_eye[0] > 200 and left_eye[2] < 100  # red dot
