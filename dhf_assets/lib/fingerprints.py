"""What each per-cave asset's result depends on, as one hash computed in DuckDB.

An asset whose fingerprint (its upstream rows' content plus its own code version) equals the one
recorded at its last build, and whose output files are all present, skips its work.
"""

from __future__ import annotations

# One query per asset, one parameter (the cave id), one varchar result.
UPSTREAM_SQL: dict[str, str] = {
    "faces": """select coalesce(md5(string_agg(mural_id || ':' || sha256 || ':' || coalesce(voc_sha256, '-')
                  || ':' || width || 'x' || height, ',' order by mural_id)), '-') from murals where cave_id = ?""",
    "face_candidates": """select coalesce(md5(string_agg(face_id || ':' || sha256, ',' order by face_id)), '-')
                          from faces where cave_id = ?""",
    "symmetry_pairs": """select coalesce(md5(string_agg(concat_ws(':', face_id, mural_id, xmin, ymin, xmax, ymax), ','
                         order by face_id)), '-') from faces where cave_id = ?""",
    "upscaled_faces": """select coalesce(md5(string_agg(f.face_id || ':' || f.sha256, ',' order by f.face_id)), '-')
                         from subset_3k s join faces f using (face_id) where s.cave_id = ?""",
    "face_quality": """select coalesce(md5(string_agg(u.face_id || ':' || u.sha256 || ':' || f.sha256, ','
                       order by u.face_id)), '-')
                       from upscaled_faces u join faces f using (face_id) where u.cave_id = ?""",
    "backend_quality": """select coalesce(md5(string_agg(concat_ws(':', s.face_id, f.sha256, u.sha256, u.backend,
                          u.model_id, u.model_sha256), ',' order by s.face_id)), '-')
                          from subset_3k s join faces f using (face_id) left join upscaled_faces u using (face_id)
                          where s.cave_id = ?""",
}


def combine(*parts: str) -> str:
    import hashlib

    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
