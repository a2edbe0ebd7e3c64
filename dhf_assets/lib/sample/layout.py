"""What the bundled sample archive holds: caves, murals, painted figures, bad files and reviews.

Coordinates are 0-based pixels (x, y of the top-left corner, width from the head's aspect for
faces); the VOC file gets 1-based inclusive values (`xmin = x + 1`, `xmax = x + width`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dhf_assets.lib.sample.paint import head_aspect

# Categories of deliberately bad input, one quarantine row each (size_mismatch is a warning,
# image_without_xml an info row: a mural not annotated yet).
CATEGORIES: dict[str, str] = {
    "truncated_image": "an image file whose data is cut short",
    "not_an_image": "a file with an image extension that is no image",
    "hostile_xml": "an annotation declaring entities (billion laughs)",
    "malformed_xml": "an annotation that is not well-formed XML",
    "box_outside_image": "a box further than 1 px outside the image",
    "box_zero_size": "a box of zero or negative width or height",
    "box_not_a_number": "a box coordinate that is not a number",
    "unknown_identity": "a <name> that is neither an identity code nor 'face'",
    "unknown_pose": "a <pose> outside Frontal, Left, Right, Unspecified",
    "duplicate_box": "a box repeating an earlier box of the same mural",
    "xml_without_image": "an annotation with no image of the same stem",
    "image_without_xml": "an image with no annotation of the same stem",
    "size_mismatch": "a declared <size> that disagrees with the image (warning; boxes kept)",
    "duplicate_mural_id": "two images sharing one stem (both refused)",
}


@dataclass(frozen=True)
class Figure:
    """One painted element; `name` set means it is annotated with a box."""

    kind: str  # face | lotus | cloud | halo | cat | plaster (a bare stretch of wall)
    x: int
    y: int
    height: int
    width: int
    name: str | None = None
    pose: str = "Unspecified"
    source: str = ""  # astronaut | grace_hopper | chelsea
    flip: bool = False
    halo: bool = False
    robe: str = ""  # pigment of the robe below a head, if any
    float_coords: bool = False  # written as decimals (as some annotation tools do)
    voc: tuple[str, str, str, str] | None = None  # literal coordinates (bad boxes)
    bad: str = ""  # the category this box should be quarantined under
    draw: bool = True

    def voc_coords(self) -> tuple[str, str, str, str]:
        if self.voc is not None:
            return self.voc
        if self.float_coords:
            return (f"{self.x + 0.6:.1f}", f"{self.y + 0.6:.1f}",
                    f"{self.x + self.width + 0.3:.1f}", f"{self.y + self.height + 0.3:.1f}")
        return (str(self.x + 1), str(self.y + 1), str(self.x + self.width), str(self.y + self.height))


def face(source: str, x: int, y: int, height: int, name: str | None, pose: str, **kw) -> Figure:
    width = round(height * head_aspect(source))
    return Figure("face", x, y, height, width, name, pose, source=source, **kw)


def thing(kind: str, x: int, y: int, width: int, height: int, name: str | None = "face", **kw) -> Figure:
    source = "chelsea" if kind == "cat" else ""
    return Figure(kind, x, y, height, width, name, source=source, **kw)


def bad_box(bad: str, name: str, pose: str, coords: tuple[str, str, str, str]) -> Figure:
    return Figure("none", 0, 0, 0, 0, name, pose, voc=coords, bad=bad, draw=False)


@dataclass(frozen=True)
class MuralSpec:
    cave_id: str
    mural_id: str
    width: int
    height: int
    figures: tuple[Figure, ...]
    formats: tuple[str, ...] = ("jpg",)
    image: str = "ok"  # ok | truncated | not_an_image | none
    xml: str = "voc"  # voc | hostile | malformed | none
    declared_size: tuple[int, int] | None = None  # a wrong <size>, for size_mismatch
    decor: tuple[tuple[str, tuple[int, int, int, int]], ...] = field(default=())


CAVES: tuple[tuple[str, str, str, str], ...] = (
    ("MG045", "MC", "HT", "IDRS"),
    ("MG220", "MC", "ET", "IDRS"),
    ("YL025", "YC", "MT", "DS"),
)
MURAL_PERIODS: tuple[tuple[str, str, str], ...] = (("MG220", "north_wall", "FD"),)

G, A = "grace_hopper", "astronaut"
_BS220 = face(A, 800, 150, 320, "BS", "Frontal", halo=True, robe="malachite")

MURALS: tuple[MuralSpec, ...] = (
    # Mirror-symmetric about x = 1200: Buddha, and pairs of bodhisattvas, musicians, disciples.
    MuralSpec("MG045", "north_wall", 2400, 1400, (
        face(G, 971, 110, 660, "B", "Frontal", halo=True, robe="red_ochre"),
        face(A, 1480, 330, 380, "BS", "Left", halo=True, robe="malachite"),
        face(A, 606, 334, 380, "BS", "Right", flip=True, halo=True, robe="malachite"),
        face(G, 2080, 80, 200, "CM", "Left", robe="azurite"),
        face(G, 177, 84, 200, "CM", "Right", flip=True, robe="azurite"),
        face(A, 1723, 900, 230, "D", "Left", robe="ochre"),
        face(A, 488, 897, 230, "D", "Right", flip=True, robe="ochre"),
        thing("lotus", 1040, 1120, 320, 220),
        thing("cloud", 60, 560, 360, 200, name="O"),
        # Its mirror is annotated too: the axis is the mean of all box centres (section 4.1).
        thing("cloud", 1980, 560, 360, 200, name="O"),
    ), decor=(
        ("lotus", (60, 1180, 300, 1360)), ("lotus", (2100, 1180, 2340, 1360)),
    )),
    MuralSpec("MG045", "south_wall", 1800, 1200, (
        face(A, 700, 110, 440, "BS", "Frontal", halo=True, robe="malachite"),
        face(G, 1350, 180, 300, "VW", "Right", robe="red_ochre"),
        face(A, 120, 880, 160, "DN", "Right", flip=True, robe="azurite"),
        face(G, 380, 880, 160, "DN", "Frontal", robe="red_ochre", float_coords=True),
        face(A, 640, 880, 160, "DN", "Left", robe="ochre"),
        face(G, 900, 880, 160, "DN", "Right", flip=True, robe="malachite"),
        face(A, 1160, 880, 160, "DN", "Frontal", robe="azurite"),
        face(A, 1560, 640, 120, "face", "Unspecified"),
        thing("cloud", 150, 300, 350, 200),
    ), decor=(("cloud", (1180, 560, 1500, 740)),)),
    MuralSpec("MG045", "west_niche", 1700, 1100, (
        face(A, 598, 90, 600, "B", "Frontal", halo=True, robe="red_ochre"),
        face(G, 180, 330, 280, "D", "Right", flip=True, robe="ochre"),
        face(G, 1326, 336, 280, "D", "Left", robe="ochre"),
        thing("halo", 1280, 50, 220, 220),
        thing("cat", 160, 800, 266, 210, name="O"),
    )),
    MuralSpec("MG220", "east_wall", 1600, 1000, (
        face(G, 654, 120, 420, "BS", "Frontal", halo=True, robe="malachite"),
        face(A, 200, 150, 180, "CM", "Right", robe="azurite"),
        face(A, 1250, 160, 180, "CM", "Left", flip=True, robe="azurite"),
        thing("lotus", 640, 740, 320, 220),
        face(G, 300, 720, 140, "DN", "Frontal", robe="red_ochre", float_coords=True),
    ), formats=("tif",)),
    # Every kind of bad box lives here, among good ones; the period is overridden in murals.csv.
    MuralSpec("MG220", "north_wall", 2000, 1200, (
        face(G, 150, 300, 540, "VW", "Frontal", robe="red_ochre"),
        _BS220,
        face(A, 1300, 250, 200, "D", "Left", robe="ochre"),
        face(G, 1700, 800, 150, "DN", "Frontal", robe="azurite"),
        thing("plaster", 1650, 330, 250, 200),
        face(A, 1150, 780, 170, "Apsara", "Frontal", bad="unknown_identity"),
        face(G, 700, 760, 190, "CM", "Back", bad="unknown_pose"),
        bad_box("box_outside_image", "face", "Unspecified", ("1851", "101", "2150", "300")),
        bad_box("box_zero_size", "DN", "Frontal", ("500", "600", "499", "700")),
        bad_box("box_not_a_number", "BS", "Frontal", ("1420px", "101", "1600", "300")),
        bad_box("duplicate_box", "BS", "Frontal", _BS220.voc_coords()),
    ), decor=(("cloud", (1500, 60, 1900, 240)),)),
    MuralSpec("MG220", "south_wall", 900, 640, (face(G, 360, 150, 260, "BS", "Frontal", halo=True),),
              formats=("jpg", "png")),
    MuralSpec("MG220", "west_wall", 900, 640, (face(A, 349, 160, 240, "D", "Frontal"),), image="truncated"),
    MuralSpec("MG220", "ceiling", 900, 640, (face(A, 349, 160, 240, "CM", "Frontal"),), image="none"),
    MuralSpec("YL025", "north_wall", 1500, 950, (
        face(G, 625, 90, 360, "BS", "Frontal", halo=True, robe="malachite"),
        face(A, 1100, 120, 200, "CM", "Left", robe="azurite"),
        face(A, 232, 124, 200, "CM", "Right", flip=True, robe="azurite"),
        face(G, 300, 700, 120, "DN", "Frontal", robe="red_ochre"),
        face(A, 1150, 600, 240, "face", "Unspecified"),
        thing("cloud", 560, 700, 380, 180),
    ), formats=("png",), declared_size=(1520, 950)),
    MuralSpec("YL025", "south_wall", 2000, 1300, (
        face(G, 800, 120, 580, "B", "Frontal", halo=True, robe="red_ochre"),
        face(A, 250, 250, 300, "BS", "Right", halo=True, robe="malachite"),
        face(A, 1500, 250, 300, "BS", "Left", flip=True, halo=True, robe="malachite"),
        face(A, 400, 1000, 110, "DN", "Left", robe="ochre"),
        face(G, 1500, 1000, 110, "DN", "Frontal", robe="azurite"),
        thing("lotus", 850, 1020, 300, 230),
    ), decor=(("cloud", (60, 40, 420, 200)), ("cloud", (1580, 40, 1940, 200)))),
    MuralSpec("YL025", "east_wall", 900, 640, (face(G, 360, 150, 260, "BS", "Frontal"),), xml="hostile"),
    MuralSpec("YL025", "west_wall", 900, 640, (face(A, 349, 160, 240, "D", "Left"),), xml="malformed"),
    MuralSpec("YL025", "entrance", 900, 640, (face(A, 349, 160, 240, "DN", "Frontal"),), image="not_an_image"),
    MuralSpec("YL025", "niche", 900, 640, (face(G, 360, 150, 260, "BS", "Frontal"),), xml="none"),
)

REVIEWER = "sample-curator"
# (cave, mural, 1-based object index or None for a face_id that exists nowhere, decision, subset, tags)
REVIEWS: tuple[tuple[str, str, int | None, str, str, str], ...] = (
    ("MG045", "north_wall", 1, "accept", "500", "halo;ushnisha;serene expression"),
    ("MG045", "north_wall", 2, "accept", "500", "crown;earrings;serene expression"),
    ("MG045", "north_wall", 3, "accept", "500", "crown;earrings;mirror pair"),
    ("MG045", "west_niche", 1, "accept", "500", "halo;downcast eyes"),
    ("MG045", "south_wall", 2, "accept", "3k", ""),
    ("MG045", "south_wall", 3, "accept", "3k", ""),
    ("MG045", "south_wall", 8, "reject", "", "too damaged"),
    ("MG045", "north_wall", None, "accept", "3k", ""),
    ("YL025", "south_wall", 1, "accept", "3k", ""),
    ("YL025", "north_wall", 1, "accept", "3k", ""),
)
