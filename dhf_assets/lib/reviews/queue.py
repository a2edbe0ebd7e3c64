"""The review queue of a cave: its undecided faces, best score first.

One query serves the `review_queue` asset (the table the UI shows) and `dhf review export` (the
contact sheet), so both list the same faces in the same order.
"""

from __future__ import annotations

# Parameters: cave_id, include_dropped (also list candidates the rule dropped, for a second look).
UNDECIDED_SQL = """
select c.face_id, c.cave_id,
       row_number() over (order by c.best_score desc nulls last, c.face_id) as rank,
       c.best_score, c.best_detector, c.status, c.reason
from face_candidates c
where c.cave_id = ?
  and (c.status = 'candidate' or ?)
  and not exists (select 1 from face_reviews r where r.face_id = c.face_id and r.cave_id = c.cave_id)
order by rank
"""

QUEUE_COLUMNS = ("face_id", "cave_id", "rank", "best_score", "best_detector")


def queue_rows(undecided: list[tuple]) -> list[tuple]:
    """Rows of the review_queue table from the rows of UNDECIDED_SQL."""
    return [row[:len(QUEUE_COLUMNS)] for row in undecided]
