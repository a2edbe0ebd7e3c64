"""Captions for training: "a Five Dynasties Bodhisattva face, crown, earrings"."""

from __future__ import annotations

from typing import Sequence

# The vocabulary names identities in the plural (Figure 6); a caption names one figure.
SINGULAR_IDENTITY = {
    "BS": "Bodhisattva", "B": "Buddha", "CM": "Celestial Musician", "VW": "Vajra Warrior",
    "D": "Disciple", "DN": "Donor", "O": None,
}


def identity_noun(code: str | None, name: str | None) -> str | None:
    """The singular noun of an identity; None for "Others" and unlabelled faces."""
    if code is None:
        return None
    if code in SINGULAR_IDENTITY:
        return SINGULAR_IDENTITY[code]
    return name[:-1] if name and name.endswith("s") else name


def caption(period_name: str | None, identity_code: str | None, identity_name: str | None,
            tags: Sequence[str] = ()) -> str:
    """The subject ("a <period> <identity> face") followed by the expert tags, comma separated."""
    words = [w for w in (period_name, identity_noun(identity_code, identity_name)) if w]
    subject = " ".join(["a" if not words or words[0][0].lower() not in "aeiou" else "an", *words, "face"])
    return ", ".join([subject, *[t.strip() for t in tags if t.strip()]])
