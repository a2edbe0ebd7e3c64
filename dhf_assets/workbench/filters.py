"""Grid filters from query parameters, checked against fixed choices and the vocabulary."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Mapping

from dhf_assets.lib.ingest.vocabulary import IDENTITIES, ORIENTATIONS, PERIODS

from .snapshot import Face

STATUS_CHOICES = ("", "candidate", "dropped", "undecided", "decided", "accepted", "in_500", "rejected")
SUBSET_CHOICES = ("", "3k", "500")
SORT_CHOICES = ("score_desc", "score_asc", "face_id")


def _float(text: str | None) -> float | None:
    try:
        value = float(text) if text not in (None, "") else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


@dataclass(frozen=True)
class GridFilter:
    status: str = ""
    mural: str = ""
    subset: str = ""
    identity: str = ""
    orientation: str = ""
    period: str = ""
    detector: str = ""
    min_score: float | None = None
    max_score: float | None = None
    sort: str = "score_desc"
    page: int = 1

    @classmethod
    def from_query(cls, query: Mapping[str, str], detectors: list[str], murals: list[str]) -> "GridFilter":
        def pick(name: str, allowed) -> str:
            value = query.get(name, "")
            return value if value in allowed else ""
        try:
            page = max(1, int(query.get("page", "1")))
        except ValueError:
            page = 1
        return cls(
            status=pick("status", STATUS_CHOICES), mural=pick("mural", murals), subset=pick("subset", SUBSET_CHOICES),
            identity=pick("identity", [*IDENTITIES, "none"]), orientation=pick("orientation", ORIENTATIONS),
            period=pick("period", PERIODS), detector=pick("detector", detectors),
            min_score=_float(query.get("min_score")), max_score=_float(query.get("max_score")),
            sort=pick("sort", SORT_CHOICES) or "score_desc", page=page,
        )

    def query(self, **changes: object) -> dict[str, str]:
        """The filter as query parameters (for links), with some values changed."""
        values = {f.name: getattr(self, f.name) for f in fields(self)} | changes
        return {k: str(v) for k, v in values.items() if v not in ("", None) and not (k == "page" and v == 1)
                and not (k == "sort" and v == "score_desc")}

    def keeps(self, face: Face, status: str, identity: str | None, orientation: str) -> bool:
        if self.status in ("candidate", "dropped") and face.status != self.status:
            return False
        if self.status == "decided" and status == "undecided":
            return False
        if self.status in ("undecided", "accepted", "in_500", "rejected") and status != self.status:
            return False
        if self.subset == "3k" and status not in ("accepted", "in_500") or self.subset == "500" and status != "in_500":
            return False
        if self.mural and face.mural_id != self.mural or self.period and face.period != self.period:
            return False
        if (
            self.identity
            and (identity or "none") != self.identity
            or self.orientation
            and orientation != self.orientation
        ):
            return False
        if self.min_score is not None or self.max_score is not None:
            score = face.score(self.detector) if self.detector else face.best_score
            if score is None or self.min_score is not None and score < self.min_score:
                return False
            if self.max_score is not None and score > self.max_score:
                return False
        return True
