"""The attribute vocabulary of the paper (Figure 6 note), in one place.

Checks, SQL (through the seeded `vocabulary` table) and the UI all read it from here.
"""

from __future__ import annotations

from typing import Final

PERIODS: Final[dict[str, str]] = {
    "FD": "Five Dynasties",
    "HT": "High Tang",
    "ET": "Early Tang",
    "MT": "Mid Tang",
    "LT": "Late Tang",
    "WW": "Western Wei",
    "NW": "Northern Wei",
    "NZ": "Northern Zhou",
    "SU": "Sui",
    "YU": "Yuan",
    "WX": "Western Xia",
}

CAVE_STYLES: Final[dict[str, str]] = {
    "IDRS": "Inverted Doushape Roof Style",
    "IDS": "Inverted Doushape Style",
    "CPS": "Central Pillar Style",
    "DS": "Dome Style",
}

SITES: Final[dict[str, str]] = {
    "MC": "Mogao Caves",
    "YC": "Yulin Caves",
    "WTBC": "Western Thousand Buddha Cave",
}

IDENTITIES: Final[dict[str, str]] = {
    "BS": "Bodhisattvas",
    "B": "Buddhas",
    "CM": "Celestial Musicians",
    "VW": "Vajra Warriors",
    "D": "Disciples",
    "O": "Others",
    "DN": "Donors",
}

ORIENTATIONS: Final[dict[str, str]] = {
    "Frontal": "Frontal",
    "Left": "Left",
    "Right": "Right",
    "Unspecified": "Unspecified",
}

# VOC <name> of a face whose identity is not labelled yet; stored as NULL.
UNLABELLED_NAME: Final = "face"

VOCABULARY: Final[dict[str, dict[str, str]]] = {
    "period": PERIODS,
    "cave_style": CAVE_STYLES,
    "site": SITES,
    "identity": IDENTITIES,
    "orientation": ORIENTATIONS,
}


def vocabulary_rows() -> list[tuple[str, str, str]]:
    """(attribute, code, full name) for every code, in the paper's order."""
    return [
        (attribute, code, name)
        for attribute, codes in VOCABULARY.items()
        for code, name in codes.items()
    ]


def unknown_code_reason(attribute: str, code: str) -> str | None:
    """A plain reason when `code` is not in the vocabulary of `attribute`, else None."""
    codes = VOCABULARY[attribute]
    if code in codes:
        return None
    return f"unknown {attribute} code {code!r} (known: {', '.join(codes)})"
